// Following an ingest or render job to its end (merchant admins): OnRenderJobProgress over the
// page's one WebSocket (live.js), and MerchantRenderJob reads to catch up, once right after
// subscribing (the job may have moved before the subscription started) and again after every
// reconnection (events sent while the socket was down are lost). What is shown only moves
// forward; a finished job is read once more for its asset, its files or why it failed.

import { ApiError, execute } from "./api.js";
import { live } from "./live.js";
import { credentials } from "./session.js";

const RANK = { QUEUED: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 2 };
const FINISHED = new Set(["SUCCEEDED", "FAILED"]);

/** Whether step `next` ({status, percent}) is further on than step `shown`. */
export function isLater(next, shown) {
  if (!shown) return true;
  const [a, b] = [RANK[next.status] ?? 0, RANK[shown.status] ?? 0];
  return a > b || (a === b && next.percent > shown.percent);
}

/**
 * Follow job `id` from step `from` (what the mutation that queued it answered) until it is
 * SUCCEEDED or FAILED, calling `onStep({status, stage, percent})` for each step forward. Resolves to the finished job (MerchantRenderJob's `renderJob`);
 * rejects with an ApiError when it cannot be followed (expired session, unknown job).
 */
export function followJob(id, from, onStep) {
  return new Promise((resolve, reject) => {
    let shown = from;
    let finished = false;
    let stop = () => {};
    const end = (settle) => {
      if (finished) return;
      finished = true;
      stop();
      settle();
    };
    const step = (next) => {
      if (!isLater(next, shown)) return;
      shown = next;
      onStep(next);
    };
    // `event`: the one that said the job finished; its stage ("rejected" says more than
    // "failed") and percent win over the record's.
    const read = async (event = null) => {
      const job = (await execute("MerchantRenderJob", { id }, credentials())).renderJob;
      if (finished) return;
      if (!job) throw new ApiError("NOT_FOUND", `There is no job ${id}.`);
      const sameStatus = shown?.status === job.status;
      const stage = event?.stage || (sameStatus ? shown.stage : job.status.toLowerCase());
      step({ status: job.status, stage, percent: Math.max(job.progress, event?.percent ?? 0) });
      if (FINISHED.has(job.status)) end(() => resolve(job));
    };
    const fail = (error) => end(() => reject(error));
    stop = live("OnRenderJobProgress", { jobId: id }, {
      onData: ({ onRenderJobProgress: event }) => {
        const status = event.job?.status || "RUNNING";
        if (FINISHED.has(status)) read(event).catch(fail);
        else step({ status, stage: event.stage, percent: event.percent });
      },
      resync: () => read(),
      onProblem: fail,
    });
    read().catch(fail);
  });
}
