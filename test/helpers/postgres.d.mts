export interface ThrowawayPostgres {
  url: string;
  dir: string;
  port: number;
  stop(): void;
}
export function findPostgresBin(): string | null;
export const POSTGRES_MISSING: string;
export function startThrowawayPostgres(options?: { durable?: boolean }): Promise<ThrowawayPostgres | null>;
export function freshDatabase(cluster: ThrowawayPostgres, name: string): Promise<string>;
