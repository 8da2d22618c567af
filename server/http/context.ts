/** What every route needs, built once by startClinicServer. */
import type { FailedLoginSummary } from '../auth/failedLogins';
import type { PasswordHasher } from '../auth/passwords';
import type { LoginThrottle } from '../auth/throttle';
import type { TokenIssuer } from '../auth/tokens';
import type { Actor, ClinicStore } from '../store/types';

export interface ServerContext {
  store: ClinicStore;
  tokens: TokenIssuer;
  throttle: LoginThrottle;
  passwords: PasswordHasher;
  failedLogins: FailedLoginSummary;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user; set by the auth guard on every protected route. */
    actor?: Actor;
  }
}
