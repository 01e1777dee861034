/** Endpoint paths follow Auth0's, so an application moves by changing its domain (DESIGN.md). */
export const OIDC_PATHS = {
  authorization: '/authorize',
  token: '/oauth/token',
  revocation: '/oauth/revoke',
  introspection: '/oauth/introspect',
  userinfo: '/userinfo',
  end_session: '/oidc/logout',
  jwks: '/.well-known/jwks.json',
} as const;
