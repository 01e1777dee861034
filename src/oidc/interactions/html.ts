/** Escapes text for HTML content and double-quoted attributes: every value a page shows goes through it. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Marks markup built from escaped parts, so `page` does not escape it twice. */
export class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

/** Tagged template: interpolations are escaped unless they are Html (or arrays of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, index) => {
    const parts = Array.isArray(value) ? value : [value];
    out += parts.map((part) => (part instanceof Html ? part.value : part === undefined || part === false ? '' : escapeHtml(part))).join('');
    out += strings[index + 1]!;
  });
  return new Html(out);
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:24rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin:0 0 1rem}label{display:block;margin:1rem 0 .25rem;font-weight:600}
input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #9aa1ad;border-radius:4px;font-size:1rem}
button{margin-top:1.25rem;width:100%;padding:.7rem;border:0;border-radius:4px;background:#2557d6;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:#e3e6eb;color:#1d2330}fieldset{border:0;padding:0;margin:0}
.option{display:flex;gap:.5rem;align-items:center;margin:.5rem 0}.option label{margin:0;font-weight:400}
.error{background:#fdecea;color:#8a1c12;padding:.75rem;border-radius:4px}p.muted{color:#5a6270;font-size:.9rem}
`;

/** A whole page: no external resources, no script; works with JavaScript disabled. */
export function page(title: string, body: Html): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>${body.value}</main></body>
</html>`;
}
