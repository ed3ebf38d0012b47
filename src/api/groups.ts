import type { Handlers } from './context.ts';

export const groupHandlers: Handlers = {};
