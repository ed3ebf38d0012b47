import type { Handlers } from './context.ts';

export const userHandlers: Handlers = {};
