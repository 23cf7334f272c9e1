/** docker's prune prompt: the warning, then `[y/N]`; only `y` or `yes` goes ahead. */
import type { CliContext } from './context.ts';

export async function confirm(ctx: CliContext, warning: string): Promise<boolean> {
  ctx.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  if (!process.stdin.isTTY && process.stdin.readableEnded) return false;
  // Loaded here: only a prompt needs readline, and every command of these modules would pay for it.
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin });
  const answer = await rl.question('').catch(() => '');
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}
