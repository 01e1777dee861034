/**
 * A minimal browser for wire-level tests: follows redirects on Tessera's origin, keeps its
 * cookies, and stops when it is sent to another origin (the application's callback). The real
 * browser test (chromium) proves the same pages work for a person.
 */
export type Step =
  | { kind: 'page'; url: URL; status: number; html: string; headers: Headers }
  | { kind: 'left'; location: URL; status: number };

export class UserAgent {
  /** Every Set-Cookie header this browser received, in order. */
  readonly setCookies: string[] = [];
  /** Every request this browser made on Tessera's origin, as `METHOD /path`, in order. */
  readonly requests: string[] = [];

  constructor(
    private readonly origin: string,
    private readonly cookies: Map<string, string> = new Map(),
    /** Headers sent with every request (e.g. what a TLS-terminating proxy adds). */
    private readonly headers: Record<string, string> = {},
  ) {}

  /**
   * The same browser talking to another origin on the same host (another instance behind a
   * load balancer): cookies are per host, not per port, so it sends the ones it holds.
   */
  on(origin: string): UserAgent {
    return new UserAgent(origin, this.cookies);
  }

  async open(url: URL | string): Promise<Step> {
    return this.request(new URL(url), { method: 'GET' });
  }

  /** Submits the form whose action matches `action` on `page`, with its hidden fields plus `fields`. */
  async submit(page: Step, action: RegExp | string, fields: Record<string, string> = {}): Promise<Step> {
    if (page.kind !== 'page') throw new Error(`expected a page, got a redirect to ${page.location}`);
    const forms = [...page.html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms.find(([, formAction]) => (typeof action === 'string' ? formAction === action : action.test(formAction!)));
    if (!form) throw new Error(`no form with action ${action} on ${page.url}`);
    const body = new URLSearchParams();
    for (const [, name, value] of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/?>/g)) body.set(name!, decode(value!));
    for (const [name, value] of Object.entries(fields)) body.set(name, value);
    return this.request(new URL(decode(form[1]!), page.url), { method: 'POST', body: body.toString(), contentType: 'application/x-www-form-urlencoded' });
  }

  /** Signs in on the login page `step` shows and follows through to wherever it leads. */
  async signIn(step: Step, email: string, password: string): Promise<Step> {
    return this.submit(step, /\/login$/, { email, password });
  }

  hasCookies(): boolean {
    return this.cookies.size > 0;
  }

  private async request(url: URL, init: { method: string; body?: string; contentType?: string }): Promise<Step> {
    let current = url;
    let method = init.method;
    let body = init.body;
    for (let hops = 0; hops < 20; hops++) {
      if (current.origin !== this.origin) return { kind: 'left', location: current, status: 303 };
      this.requests.push(`${method} ${current.pathname}`);
      const response = await fetch(current, {
        method,
        redirect: 'manual',
        headers: {
          ...this.headers,
          ...(this.cookies.size ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') } : {}),
          ...(body !== undefined ? { 'content-type': init.contentType! } : {}),
        },
        body,
      });
      this.store(response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, current);
        if (next.origin !== this.origin) return { kind: 'left', location: next, status: response.status };
        current = next;
        method = 'GET';
        body = undefined;
        continue;
      }
      return { kind: 'page', url: current, status: response.status, html: await response.text(), headers: response.headers };
    }
    throw new Error('too many redirects');
  }

  private store(setCookies: string[]) {
    this.setCookies.push(...setCookies);
    for (const header of setCookies) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((attribute) => /^\s*expires=/i.test(attribute) && new Date(attribute.split('=')[1]!).getTime() <= Date.now());
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

const decode = (value: string) => value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** The text a person reads on a page (tags stripped, entities decoded). */
export const textOf = (step: Step) => (step.kind === 'page' ? decode(step.html.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')) : '');
