// The workflows the worker registers (workflowsPath points here).
export { coolingOff } from './coolingOff.js';
export { withdrawalPropagation } from './withdrawalPropagation.js';
