import { escapeHtml } from '../../../src/oidc/interactions/html.js';
import { decideOrganization } from '../../../src/oidc/interactions/organization.js';
import { consentPage, loginPage, organizationPage } from '../../../src/oidc/interactions/views.js';

const acme = { orgId: 'org_acme', orgName: 'Acme', role: 'editor' };
const globex = { orgId: 'org_globex', orgName: 'Globex', role: 'viewer' };

describe('decideOrganization', () => {
  test('the organization parameter wins when it is theirs, and is refused when it is not', () => {
    expect(decideOrganization({ options: [acme, globex], requested: 'org_globex' })).toEqual({ kind: 'chosen', option: globex });
    expect(decideOrganization({ options: [acme, globex], requested: 'org_other', submitted: 'org_acme' })).toMatchObject({ kind: 'refused' });
  });
  test('one organization is chosen without asking; several are asked about; none is refused', () => {
    expect(decideOrganization({ options: [acme] })).toEqual({ kind: 'chosen', option: acme });
    expect(decideOrganization({ options: [acme, globex] })).toEqual({ kind: 'choose', options: [acme, globex] });
    expect(decideOrganization({ options: [] })).toMatchObject({ kind: 'refused' });
  });
  test('a submitted or current organization is used only when it is one of theirs', () => {
    expect(decideOrganization({ options: [acme, globex], submitted: 'org_globex' })).toEqual({ kind: 'chosen', option: globex });
    expect(decideOrganization({ options: [acme, globex], current: 'org_globex' })).toEqual({ kind: 'chosen', option: globex });
    expect(decideOrganization({ options: [acme, globex], submitted: 'org_evil' })).toMatchObject({ kind: 'choose' });
  });
});

describe('interaction pages escape everything they show', () => {
  const evil = `"><script>alert(1)</script>'`;
  test('escapeHtml', () => {
    expect(escapeHtml(evil)).toBe('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;');
  });
  test('login, organization and consent pages', () => {
    const pages = [
      loginPage({ uid: 'u1', csrf: 'c', clientName: evil, email: evil, error: evil }),
      organizationPage({ uid: 'u1', csrf: 'c', clientName: evil, organizations: [{ orgId: evil, orgName: evil, role: evil }] }),
      consentPage({ uid: 'u1', csrf: 'c', clientName: evil, orgName: evil, organization: evil, scopes: [evil], apis: [evil] }),
    ];
    for (const html of pages) {
      expect(html).not.toContain('<script>');
      expect(html).toContain('&lt;script&gt;');
    }
  });
});
