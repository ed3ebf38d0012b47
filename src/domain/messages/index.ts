import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Store } from '../../store/store.ts';
import type { Messenger } from './messenger.ts';

/**
 * Builds the Messenger the configuration asks for. Until delivery lands (outbox, SMTP, SMS
 * webhook), messages are only logged, without their bodies' codes.
 */
export function createMessenger(_config: Config, _store: Store, log: Logger): Messenger {
  return {
    async send(m) {
      log.info({ channel: m.channel, to: m.destination, kind: m.kind, poolId: m.poolId }, 'message (not delivered)');
    },
  };
}
