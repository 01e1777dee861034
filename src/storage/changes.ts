import { notify, type Storage } from './db.js';

/** One channel for every cache-invalidating change; payloads are `<topic>:<id>`, never secrets. */
const CHANNEL = 'tessera_changes';

export type ChangeTopic = 'client' | 'api' | 'signing_key' | 'api_key' | 'user' | 'permission';

export interface ChangeFeed {
  /** Tells every instance (this one included) that `id` changed. */
  publish(topic: ChangeTopic, id: string): Promise<void>;
  subscribe(handler: (topic: ChangeTopic, id: string) => void): void;
}

export async function createChangeFeed(storage: Storage): Promise<ChangeFeed> {
  const handlers: Array<(topic: ChangeTopic, id: string) => void> = [];
  await storage.listen(CHANNEL, (payload) => {
    const separator = payload.indexOf(':');
    if (separator < 0) return;
    const topic = payload.slice(0, separator) as ChangeTopic;
    const id = payload.slice(separator + 1);
    for (const handler of handlers) handler(topic, id);
  });
  return {
    async publish(topic, id) {
      // Local caches drop the entry at once; other instances hear it through NOTIFY.
      for (const handler of handlers) handler(topic, id);
      await notify(storage.db, CHANNEL, `${topic}:${id}`);
    },
    subscribe(handler) {
      handlers.push(handler);
    },
  };
}
