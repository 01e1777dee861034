import jwt from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';

/**
 * Verifies an access token exactly as seed 001's resource-server code does: jwks-rsa fetches
 * the key named by `kid` from the JWKS, jsonwebtoken checks RS256, audience and issuer.
 */
export function createResourceServer(issuer: string, audience: string, jwksFrom = issuer) {
  const client = jwksRsa({ jwksUri: `${jwksFrom}/.well-known/jwks.json`, cache: false, rateLimit: false });
  return {
    verify(token: string): Promise<jwt.JwtPayload> {
      return new Promise((resolve, reject) => {
        jwt.verify(
          token,
          (header, callback) => {
            client.getSigningKey(header.kid).then((key) => callback(null, key.getPublicKey()), (error: Error) => callback(error));
          },
          { algorithms: ['RS256'], audience, issuer },
          (error, payload) => (error ? reject(error) : resolve(payload as jwt.JwtPayload)),
        );
      });
    },
  };
}
