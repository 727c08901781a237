/**
 * The entry of h2load's extra threads (-t N: threads 1..N-1; thread 0 runs in the main thread):
 * run one LoadWorker, send its output lines and final counters to the main thread.
 */
import { parentPort, workerData } from 'worker_threads';
import { LoadWorker, WorkerInit } from './worker';

/** Messages a thread posts to the main thread. */
export type ThreadMessage = { type: 'out'; text: string } | { type: 'done'; stats: import('./stats').WorkerStats };

if (parentPort) {
  const port = parentPort;
  const init = workerData as WorkerInit;
  if (init.postData) init.postData = Buffer.from(init.postData);
  const w = new LoadWorker(init, (text) => port.postMessage({ type: 'out', text } satisfies ThreadMessage));
  void w.run().then((stats) => port.postMessage({ type: 'done', stats } satisfies ThreadMessage));
}
