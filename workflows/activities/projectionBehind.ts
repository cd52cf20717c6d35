// The failure of an activity that waited its while (projectionWaitMs) for the projection to reach a
// ledger position. Retried after a second, not on the activity's exponential back-off: that back-off
// is for outages, and after a burst it left a withdrawal waiting up to a minute for its next look at a
// projection that had caught up seconds after the previous one.
import { ApplicationFailure } from '@temporalio/activity';

export const projectionBehind = (what: string): ApplicationFailure =>
  ApplicationFailure.create({
    message: `the projection has not reached the ${what} yet`,
    type: 'ProjectionBehind',
    nextRetryDelay: '1s',
  });
