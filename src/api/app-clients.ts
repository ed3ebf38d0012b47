import type { Handlers } from './context.ts';

export const appClientHandlers: Handlers = {};
