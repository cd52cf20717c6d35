// 405 Method Not Allowed for a known path asked with a method it does not serve (404 is for paths
// that do not exist). The service's OpenAPI document is the list of what it serves, so the answer
// cannot drift from the documented interface.
import type { RequestHandler } from 'express';
import { sendProblem } from './problems.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface PathMethods {
  pattern: RegExp;
  allow: string[];
}

function compile(openapi: object | undefined, extra: Record<string, string[]>): PathMethods[] {
  const paths = (openapi as { paths?: Record<string, Record<string, unknown>> } | undefined)?.paths ?? {};
  const entries = Object.entries(paths).map(([template, item]) => ({
    template,
    allow: METHODS.filter((m) => item[m] !== undefined).map((m) => m.toUpperCase()),
  }));
  for (const [template, allow] of Object.entries(extra)) entries.push({ template, allow });
  return entries.map(({ template, allow }) => ({
    // `{name}` matches one path segment; everything else literally.
    pattern: new RegExp(
      `^${template
        .split(/\{[^}]+\}/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]+')}/?$`,
    ),
    allow: allow.includes('GET') ? [...allow, 'HEAD'] : allow,
  }));
}

/** After the routers: a documented path with an undocumented method → 405 with Allow; else next (404). */
export function methodNotAllowed(openapi: (() => object) | undefined, extra: Record<string, string[]>): RequestHandler {
  let table: PathMethods[] | undefined;
  return (req, res, next) => {
    table ??= compile(openapi?.(), extra);
    const allow = [...new Set(table.filter((p) => p.pattern.test(req.path)).flatMap((p) => p.allow))];
    if (allow.length === 0 || allow.includes(req.method)) {
      next();
      return;
    }
    res.setHeader('Allow', allow.join(', '));
    sendProblem(res, 'method-not-allowed', `${req.method} is not served here; allowed: ${allow.join(', ')}`);
  };
}
