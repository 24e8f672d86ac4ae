import amqplib from '../../instrumentations/amqplib';
import express from '../../instrumentations/express';
import fastify from '../../instrumentations/fastify';
import graphql from '../../instrumentations/graphql';
import grpc from '../../instrumentations/grpc';
import http from '../../instrumentations/http';
import ioredis from '../../instrumentations/ioredis';
import koa from '../../instrumentations/koa';
import mysql from '../../instrumentations/mysql';
import mysql2 from '../../instrumentations/mysql2';
import opentracing from '../../instrumentations/opentracing';
import pg from '../../instrumentations/pg';
import pino from '../../instrumentations/pino';
import redis from '../../instrumentations/redis';
import undici from '../../instrumentations/undici';
import winston from '../../instrumentations/winston';
import type { InstrumentationDefinition } from './definition';

// Every built-in instrumentation, keyed by its id: the file name in instrumentations/, which is also
// the name JAEGER_INSTRUMENTATIONS and JAEGER_DISABLED_INSTRUMENTATIONS accept (a test holds these
// keys equal to INSTRUMENTATION_IDS in config/schema.ts).

export type InstrumentationSet = Readonly<Record<string, readonly InstrumentationDefinition[]>>;

/** The built-in definitions by instrumentation id. */
export const BUILTIN_INSTRUMENTATIONS: InstrumentationSet = Object.freeze({
  amqplib,
  express,
  fastify,
  graphql,
  grpc,
  http,
  ioredis,
  koa,
  mysql,
  mysql2,
  opentracing,
  pg,
  pino,
  redis,
  undici,
  winston,
});

/**
 * The instrumentations to install: those in `allow` (all when it is empty) minus those in `deny`.
 * Ids that name no instrumentation are ignored (the config parser already warned about them).
 */
export function selectInstrumentations(
  all: InstrumentationSet,
  allow: readonly string[],
  deny: readonly string[],
): Record<string, readonly InstrumentationDefinition[]> {
  const selected: Record<string, readonly InstrumentationDefinition[]> = {};
  for (const id of Object.keys(all)) {
    if (allow.length > 0 && !allow.includes(id)) continue;
    if (deny.includes(id)) continue;
    selected[id] = all[id];
  }
  return selected;
}
