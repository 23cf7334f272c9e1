/**
 * The service's event log (GET /events): what it did to images and volumes, as docker's
 * event messages, kept for `since` and handed to the clients following it.
 */
export interface ApiEvent {
  Type: 'image' | 'volume' | 'container' | 'network' | 'builder';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

type Listener = (event: ApiEvent) => void;

/** How many past events `since` can reach back to (dockerd keeps 256). */
const KEPT = 256;

export class EventLog {
  private readonly past: ApiEvent[] = [];
  private readonly listeners = new Set<Listener>();

  emit(type: ApiEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): void {
    const nanos = BigInt(Date.now()) * 1_000_000n;
    const event: ApiEvent = { Type: type, Action: action, Actor: { ID: id, Attributes: attributes }, scope: 'local', time: Number(nanos / 1_000_000_000n), timeNano: Number(nanos) };
    this.past.push(event);
    if (this.past.length > KEPT) this.past.shift();
    for (const listener of this.listeners) listener(event);
  }

  /** The events kept, oldest first. */
  history(): readonly ApiEvent[] {
    return this.past;
  }

  /** Calls `listener` for each new event until the returned function is called. */
  follow(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Whether anyone follows the log (an idle service with followers is not idle). */
  get followers(): number {
    return this.listeners.size;
  }
}
