// consent-ledger's client library: typed clients generated from the services' OpenAPI documents, the
// hospital's retrying recorder, the webhook verifier and the revocation-topic consumer.
export * from './apis.js';
export * from './hospital.js';
export * from './webhookSignature.js';
export * from './revocationConsumer.js';
