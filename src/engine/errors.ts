// The error a caller can act on: bad input, a model or canvas too large for the device, a busy or
// lost engine. Its own module so that pure planning code (canvas.ts) carries no runtime imports.

export class EngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineError';
  }
}
