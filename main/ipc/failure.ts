/** An error that crosses IPC as a clear envelope error instead of a stack trace. */
import type { IpcError } from '../../shared/ipc/contract';

export class IpcFailure extends Error {
  constructor(
    readonly code: IpcError['code'],
    message: string,
    readonly details?: unknown[],
  ) {
    super(message);
  }

  toIpcError(): IpcError {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}
