import { Html, html, page } from './html.js';

/** The one text for an unknown email and a wrong password: it must not reveal which it was. */
export const INVALID_CREDENTIALS = 'Incorrect email or password.';
export const SUSPENDED = 'This account is suspended. Contact your organization’s administrator.';

const hidden = (name: string, value: string) => html`<input type="hidden" name="${name}" value="${value}">`;

export function loginPage(input: { uid: string; csrf: string; clientName: string; email?: string; error?: string }): string {
  return page(
    'Sign in',
    html`<h1>Sign in</h1>
<p class="muted">to continue to ${input.clientName}</p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<form method="post" action="/interaction/${input.uid}/login" autocomplete="on">
${hidden('csrf', input.csrf)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus value="${input.email ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

export function organizationPage(input: {
  uid: string;
  csrf: string;
  clientName: string;
  organizations: Array<{ orgId: string; orgName: string; role: string }>;
  error?: string;
}): string {
  const options: Html[] = input.organizations.map(
    (org, index) => html`<div class="option"><input type="radio" id="org-${index}" name="organization" value="${org.orgId}" ${index === 0 ? 'checked' : ''} required>
<label for="org-${index}">${org.orgName} <span class="muted">(${org.role})</span></label></div>`,
  );
  return page(
    'Choose an organization',
    html`<h1>Choose an organization</h1>
<p class="muted">${input.clientName} will act for the organization you choose.</p>
${input.error ? html`<p class="error" role="alert">${input.error}</p>` : ''}
<form method="post" action="/interaction/${input.uid}/organization">
${hidden('csrf', input.csrf)}
<fieldset><legend>Organization</legend>${options}</fieldset>
<button type="submit">Continue</button>
</form>`,
  );
}

export function consentPage(input: { uid: string; csrf: string; clientName: string; orgName: string; scopes: string[]; apis: string[]; organization: string }): string {
  return page(
    'Authorize access',
    html`<h1>Authorize ${input.clientName}</h1>
<p>${input.clientName} asks to act for <strong>${input.orgName}</strong> with:</p>
<ul>${input.scopes.map((scope) => html`<li>${scope}</li>`)}${input.apis.map((api) => html`<li>access to ${api}</li>`)}</ul>
<form method="post" action="/interaction/${input.uid}/consent">
${hidden('csrf', input.csrf)}${hidden('organization', input.organization)}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  );
}

export function errorPage(input: { title: string; message: string }): string {
  return page(input.title, html`<h1>${input.title}</h1><p class="error" role="alert">${input.message}</p>`);
}

/** RP-initiated logout confirmation; `form` is oidc-provider's own form (with its xsrf token). */
export function logoutPage(input: { form: string; clientName?: string }): string {
  return page(
    'Sign out',
    html`<h1>Sign out</h1>
<p>Sign out of Tessera${input.clientName ? html` and ${input.clientName}` : ''}?</p>
${new Html(input.form)}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`,
  );
}

export function loggedOutPage(): string {
  return page('Signed out', html`<h1>Signed out</h1><p>You have been signed out.</p>`);
}
