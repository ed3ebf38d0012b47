import { ScopedStorage } from '../../util/scoped-storage.ts';

/**
 * The ClientMetadata of the (Admin)RespondToAuthChallenge call in progress. Cognito hands it to
 * the triggers that end a sign-in (PostAuthentication, PreTokenGeneration) only from that call,
 * never from InitiateAuth (cognito-protocols.md §7.2 notes); every challenge answer reaches the
 * end of the sign-in through a different path (password, SRP, new password, MFA, device,
 * USER_AUTH ...), so the call scopes it here instead of threading it through each of them.
 */
const current = new ScopedStorage<Record<string, string> | undefined>();

export const withChallengeMetadata = <T>(metadata: Record<string, string> | undefined, run: () => Promise<T>): Promise<T> => current.run(metadata, run);

export const challengeMetadata = (): Record<string, string> | undefined => current.get();
