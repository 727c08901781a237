/**
 * The two generic adapters: lift any pure stage (lib/protocol/stage.ts) into a Node Transform
 * stream or into an RxJS operator. Every exported layer is built with these; nothing else
 * knows about streams or observables.
 */
import { Transform, TransformOptions } from 'stream';
import type { OperatorFunction } from 'rxjs';
import { rxjs } from '../lib/lazy';
import type { ConnectionContext } from '../lib/protocol/context';
import type { Stage, StageFactory } from '../lib/protocol/stage';

/** A lifted layer that keeps a handle on its stage (to retune it) and its connection context. */
export type LayerTransform<S = Stage<any, any>> = Transform & {
  /** The stage this Transform runs. */
  readonly stage: S;
  /** The connection context the stage is bound to, if any. */
  readonly context?: ConnectionContext;
};

/** An RxJS layer operator that keeps a handle on the connection context its stages bind to. */
export type LayerOperator<I, O> = OperatorFunction<I, O> & {
  /** The connection context each subscription's stage is bound to, if any. */
  readonly context?: ConnectionContext;
};

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
export function toTransform<I, O, S extends Stage<I, O> = Stage<I, O>>(
  factory: (() => S) | S,
  opts: TransformAdapterOptions & { context?: ConnectionContext } = {},
): LayerTransform<S> {
  const stage: S = typeof factory === 'function' ? (factory as () => S)() : factory;
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
  return Object.assign(t, { stage, context: opts.context });
}

/**
 * Lift a stage into an RxJS operator. Each subscription gets a fresh stage from the factory,
 * so the operator is safe to reuse. A stage error becomes the observable's error.
 */
export function toOperator<I, O>(factory: StageFactory<I, O>, context?: ConnectionContext): LayerOperator<I, O> {
  const op: OperatorFunction<I, O> = (source) =>
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
  return Object.assign(op, { context });
}
