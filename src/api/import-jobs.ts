import type { Handlers } from './context.ts';
import { getPool } from '../domain/pools/user-pools.ts';
import { createImportJob, csvHeader, getImportJob, listImportJobs, toUserImportJobType } from '../domain/import/jobs.ts';
import { startImportJob, stopImportJob } from '../domain/import/run.ts';

/** User import jobs: a CSV of users, uploaded to a pre-signed URL, imported in the background (domain/import). */
export const importJobHandlers: Handlers = {
  async GetCSVHeader(input, ctx) {
    const pool = await getPool(ctx.app.store, input.UserPoolId);
    return { UserPoolId: pool.id, CSVHeader: csvHeader(pool) };
  },

  async CreateUserImportJob(input, ctx) {
    return { UserImportJob: toUserImportJobType(await createImportJob(ctx.app, input)) };
  },

  async StartUserImportJob(input, ctx) {
    return { UserImportJob: toUserImportJobType(await startImportJob(ctx.app, input.UserPoolId, input.JobId)) };
  },

  async StopUserImportJob(input, ctx) {
    return { UserImportJob: toUserImportJobType(await stopImportJob(ctx.app, input.UserPoolId, input.JobId)) };
  },

  async DescribeUserImportJob(input, ctx) {
    return { UserImportJob: toUserImportJobType(await getImportJob(ctx.app, input.UserPoolId, input.JobId)) };
  },

  async ListUserImportJobs(input, ctx) {
    const { jobs, next } = await listImportJobs(ctx.app, input.UserPoolId, input.MaxResults, input.PaginationToken);
    // The model's list has at least one member: a pool without jobs answers no list at all.
    return { ...(jobs.length ? { UserImportJobs: jobs.map(toUserImportJobType) } : {}), ...(next ? { PaginationToken: next } : {}) };
  },
};
