import { runEvaluation, type EvaluationRequest } from './guarded-evaluation.ts';

/**
 * An expression worker process (see expression-pool.ts): evaluates one request at a time and
 * answers with its outcome over IPC. Its heap is capped by `--max-old-space-size`, and the pool
 * kills it when an evaluation outruns its time.
 */
process.on('message', async (request: EvaluationRequest & { id: number }) => {
  const outcome = await runEvaluation(request);
  try {
    process.send!({ id: request.id, outcome });
  } catch {
    // A value that cannot be copied out (a function, say): only `value` requests can produce one.
    process.send!({ id: request.id, outcome: { ok: true, value: undefined } });
  }
});

// The pool gone (the API process stopped or crashed): nothing is left to answer.
process.on('disconnect', () => process.exit(0));

// Loaded and listening: the pool starts a job's clock only from here.
process.send!({ ready: true });
