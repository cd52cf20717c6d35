// Signals and queries: module-level constants shared by workflows and their callers.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ConsentStatus } from '../contracts/consent/fold.js';
import type { AcknowledgeArgs, CancelArgs, HolderStatus, ReconfirmArgs } from './types.js';

export const cancelSignal = defineSignal<[CancelArgs]>('cancel');
export const reconfirmSignal = defineSignal<[ReconfirmArgs]>('reconfirm');
export const phaseQuery = defineQuery<ConsentStatus>('phase');

export const acknowledgeSignal = defineSignal<[AcknowledgeArgs]>('acknowledge');
export const holdersQuery = defineQuery<HolderStatus[]>('holders');
