import type { Handlers } from './context.ts';

export const authHandlers: Handlers = {};
