// One webhook delivery attempt: POST the notice as JSON, signed, with the notice id as idempotency
// key. Anything but a 2xx (down, slow, 500, the receiver's signature check failing → 401) throws, so
// the activity's retry policy tries again with exponential back-off. A delivery is never taken as an
// acknowledgement: only the data user's POST on the notice acknowledges it.
import { DELIVERY_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signatureHeader, type Webhook } from './webhooks.js';
import type { RevocationNotice } from './notices.js';
import { tracedRequest } from '../adapters/http/clientSpans.js';
import { deliveryMetrics } from './deliveryMetrics.js';

export class DeliveryFailed extends Error {
  override readonly name = 'DeliveryFailed';
}

export interface DeliveryOptions {
  timeoutMs: number;
  now: () => Date;
}

export async function deliverWebhook(
  hook: Webhook,
  notice: RevocationNotice,
  kind: { reminder?: number },
  o: DeliveryOptions,
): Promise<void> {
  const body = JSON.stringify({
    type: kind.reminder ? 'revocation.reminder' : 'revocation.notice',
    ...(kind.reminder && { reminder: kind.reminder }),
    notice,
  });
  const t = Math.floor(o.now().getTime() / 1000);
  let res: Response;
  try {
    // A CLIENT span in the activity's trace; the receiver gets it as traceparent.
    res = await tracedRequest(
      'POST',
      'webhook',
      {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signatureHeader(hook.secret, body, t),
        [IDEMPOTENCY_HEADER]: kind.reminder ? `${notice.noticeId}:reminder:${kind.reminder}` : notice.noticeId,
        [DELIVERY_HEADER]: kind.reminder ? 'reminder' : 'notice',
      },
      (headers) =>
        fetch(hook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(o.timeoutMs), redirect: 'error' }),
    );
  } catch (err) {
    deliveryMetrics.webhookDeliveries.inc({ outcome: 'unreachable' });
    // The cause names only the failure kind (refused, timeout), never the notice.
    throw new DeliveryFailed(`webhook unreachable: ${(err as Error).name}`);
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status < 200 || res.status > 299) {
    deliveryMetrics.webhookDeliveries.inc({ outcome: 'answered-error' });
    throw new DeliveryFailed(`webhook answered ${res.status}`);
  }
  deliveryMetrics.webhookDeliveries.inc({ outcome: 'delivered' });
}
