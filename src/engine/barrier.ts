// The two messages of a request's barrier (worker.ts): the worker sends BARRIER, the page echoes
// BARRIER_ECHO. Comlink ignores both (they carry no Comlink type).
export const BARRIER = 'harmon-barrier';
export const BARRIER_ECHO = 'harmon-barrier-echo';

export interface BarrierMessage {
  type: typeof BARRIER | typeof BARRIER_ECHO;
  n: number;
}
