import type { Handlers } from './context.ts';

export const tokenHandlers: Handlers = {};
