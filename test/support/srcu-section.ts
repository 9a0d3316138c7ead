/** Runs `body` inside an SRCU read section of `ctx`'s thread, as every caller of the gpc paths is. */
import { srcuEnter, srcuExit } from '../../src/kvm/srcu.js';
import type { ModelContext } from '../../src/kvm/model-context.js';

export function inSrcu<T>(ctx: ModelContext, body: () => T): T {
  const srcu = srcuEnter(ctx);
  try {
    return body();
  } finally {
    srcuExit(ctx, srcu);
  }
}
