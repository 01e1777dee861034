import type { Adapter, AdapterPayload } from 'oidc-provider';

export type { Adapter, AdapterPayload };

/** Called when a single-use artifact is presented twice: everything its grant issued is revoked. */
export type OnReplay = (payload: AdapterPayload) => Promise<void>;

/**
 * Models whose loss would sign people out of long-lived access: refresh tokens and the grants
 * behind them (DESIGN.md, durability classes). Everything else may expire with Redis.
 */
export const DURABLE_MODELS = new Set(['Grant', 'RefreshToken']);

/** Single-use artifacts whose second redemption must fail even when both race. */
export const SINGLE_USE_MODELS = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
