// Tests only: the message of the UsageError a command-line parse throws.
import { expect } from 'vitest';
import { UsageError } from './errors';

/** Runs `fn`, which must throw a UsageError with a one-line message; returns the message. */
export function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('expected a UsageError');
}
