/**
 * The pure stage: the unit every protocol layer is written as. A stage takes inputs one at a
 * time and emits outputs synchronously; it owns no socket and imports no I/O. Adapters in
 * `operators/` lift a stage into a Node Transform and into an RxJS operator.
 */

/** A synchronous, I/O-free transformation from a sequence of `I` to a sequence of `O`. */
export interface Stage<I, O> {
  /** Consume one input; call `emit` for each output it produces (zero or more). Throws on bad input. */
  push(input: I, emit: (output: O) => void): void;
  /** The input has ended: emit anything held back, or throw if the input stopped mid-unit. */
  end?(emit: (output: O) => void): void;
}

/** Builds a fresh stage; each pipeline instance gets its own state. */
export type StageFactory<I, O> = () => Stage<I, O>;

/** Compose two stages into one, so a pipeline runs as one hop per input chunk. */
export function compose<A, B, C>(first: Stage<A, B>, second: Stage<B, C>): Stage<A, C> {
  return {
    push(input, emit) {
      first.push(input, (mid) => second.push(mid, emit));
    },
    end(emit) {
      first.end?.((mid) => second.push(mid, emit));
      second.end?.(emit);
    },
  };
}

/** Compose any number of stages left to right (types are checked pairwise by `compose`). */
export function pipeStages(...stages: Stage<any, any>[]): Stage<any, any> {
  if (stages.length === 0) return { push: (input, emit) => emit(input) };
  return stages.reduce((acc, next) => compose(acc, next));
}

/** A stage that applies a function to each input (one output per input). */
export function mapStage<I, O>(fn: (input: I) => O): Stage<I, O> {
  return { push: (input, emit) => emit(fn(input)) };
}

/** Run a stage over a whole array of inputs; handy in tests and one-shot tools. */
export function runStage<I, O>(stage: Stage<I, O>, inputs: Iterable<I>): O[] {
  const out: O[] = [];
  const emit = (o: O) => out.push(o);
  for (const input of inputs) stage.push(input, emit);
  stage.end?.(emit);
  return out;
}
