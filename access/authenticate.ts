// Express middleware: a Bearer credential → req.caller; then per-route role checks.
import type { Request, RequestHandler } from 'express';
import { DomainError } from '../contracts/domainError.js';
import { isUnavailable } from '../adapters/mongo.js';
import type { Caller, CredentialStore, Role } from './credentials.js';

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

export function authenticate(store: CredentialStore): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    const key = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!key) {
      next(new DomainError('unauthenticated', 'send an API key as "Authorization: Bearer <key>"'));
      return;
    }
    try {
      const caller = await store.authenticate(key);
      if (!caller) {
        next(new DomainError('unauthenticated', 'the API key is unknown or revoked'));
        return;
      }
      req.caller = caller;
      next();
    } catch (err) {
      next(isUnavailable(err) ? new DomainError('unavailable', 'the credential store is unavailable') : err);
    }
  };
}

export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const caller = req.caller;
    if (!caller) {
      next(new DomainError('unauthenticated', 'no credential'));
      return;
    }
    if (!roles.includes(caller.role)) {
      next(new DomainError('forbidden', `this endpoint is for: ${roles.join(', ')}`));
      return;
    }
    next();
  };
}

export function callerOf(req: Request): Caller {
  if (!req.caller) throw new DomainError('unauthenticated', 'no credential');
  return req.caller;
}
