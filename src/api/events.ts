/**
 * The service's view of the store's events journal (engine/event-journal.ts) for GET /events:
 * what the routes did is appended to it like what the CLI does beside the service, and one
 * tail of it, open while someone follows, hands every new event to the followers.
 */
import type { EventJournal, StoreEvent } from '../engine/event-journal.ts';

export type ApiEvent = StoreEvent;

type Listener = (event: ApiEvent) => void;

export class EventLog {
  private readonly listeners = new Set<Listener>();
  private tail: ReturnType<EventJournal['tail']> | undefined;

  constructor(private readonly journal: EventJournal) {}

  emit(type: ApiEvent['Type'], action: string, id: string, attributes: Record<string, string> = {}): void {
    this.journal.append(type, action, id, attributes);
    // Followers see the service's own events at once, without waiting for inotify.
    this.tail?.poke();
  }

  /** The events the journal keeps, oldest first. */
  history(): readonly ApiEvent[] {
    return this.journal.read();
  }

  /** Calls `listener` for each new event, whoever made it, until the returned function is called. */
  follow(listener: Listener): () => void {
    this.listeners.add(listener);
    this.tail ??= this.journal.tail((event) => {
      for (const l of this.listeners) l(event);
    });
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.tail?.stop();
        this.tail = undefined;
      }
    };
  }

  /** Whether anyone follows the log (an idle service with followers is not idle). */
  get followers(): number {
    return this.listeners.size;
  }
}
