// Public API of contracts/. Services import from here. Temporal workflow code must NOT: this
// re-exports canonical.ts (node:crypto), which the workflow sandbox refuses; workflows import the
// individual modules they need (consent/events.js, consent/validate.js, …) instead.
export * from './consent/vocabulary.js';
export * from './consent/primitives.js';
export * from './consent/data.js';
export * from './consent/events.js';
export * from './consent/problems.js';
export * from './consent/upcast.js';
export * from './consent/validate.js';
export * from './consent/jsonSchema.js';
export * from './consent/canonical.js';
export * from './consent/examples.js';
export * from './consent/policy.js';
export * from './consent/scope.js';
export * from './consent/order.js';
export * from './consent/fold.js';
export * from './consent/decide.js';
export * from './consent/dataUsers.js';
export * from './topics.js';
