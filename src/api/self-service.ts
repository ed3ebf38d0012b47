import type { Handlers } from './context.ts';

export const selfServiceHandlers: Handlers = {};
