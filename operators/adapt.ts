/**
 * The two generic adapters: lift any pure stage (lib/protocol/stage.ts) into a Node Transform
 * stream or into an RxJS operator. Every exported layer is built with these; nothing else
 * knows about streams or observables.
 */
import { Transform, TransformOptions } from 'stream';
import type { OperatorFunction } from 'rxjs';
import { rxjs } from '../lib/lazy';
import type { Stage, StageFactory } from '../lib/protocol/stage';

/** Options for `toTransform`: whether each side carries bytes or objects. */
export interface TransformAdapterOptions {
  /** Input side carries Buffers (default false: objects). */
  bytesIn?: boolean;
  /** Output side carries Buffers (default false: objects). */
  bytesOut?: boolean;
  /** High-water marks, passed to the Transform. */
  highWaterMark?: number;
}

/**
 * Lift a stage into a Node Transform. A stage error destroys the stream with that error
 * (a typed H2Error, with its code and scope, reaches the 'error' listener unchanged).
 */
export function toTransform<I, O>(factory: StageFactory<I, O> | Stage<I, O>, opts: TransformAdapterOptions = {}): Transform {
  const stage: Stage<I, O> = typeof factory === 'function' ? factory() : factory;
  const tOpts: TransformOptions = {
    readableObjectMode: !opts.bytesOut,
    writableObjectMode: !opts.bytesIn,
  };
  if (opts.highWaterMark !== undefined) tOpts.highWaterMark = opts.highWaterMark;
  const t = new Transform({
    ...tOpts,
    transform(chunk: I, _enc, cb) {
      try {
        stage.push(chunk, (o) => this.push(o));
      } catch (err) {
        cb(err as Error);
        return;
      }
      cb();
    },
    flush(cb) {
      try {
        stage.end?.((o) => this.push(o));
      } catch (err) {
        cb(err as Error);
        return;
      }
      cb();
    },
  });
  return t;
}

/**
 * Lift a stage into an RxJS operator. Each subscription gets a fresh stage from the factory,
 * so the operator is safe to reuse. A stage error becomes the observable's error.
 */
export function toOperator<I, O>(factory: StageFactory<I, O>): OperatorFunction<I, O> {
  return (source) =>
    new (rxjs().Observable)<O>((subscriber) => {
      const stage = factory();
      const emit = (o: O) => subscriber.next(o);
      return source.subscribe({
        next(input) {
          try {
            stage.push(input, emit);
          } catch (err) {
            subscriber.error(err);
          }
        },
        error(err) {
          subscriber.error(err);
        },
        complete() {
          try {
            stage.end?.(emit);
            subscriber.complete();
          } catch (err) {
            subscriber.error(err);
          }
        },
      });
    });
}
