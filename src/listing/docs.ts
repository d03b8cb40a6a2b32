/** The OpenAPI document of the listing, built from the routes' schemas: UI at /docs, JSON at /docs/json. */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { VERSION } from '../version.js';

export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'c2 listing server',
        version: VERSION,
        description:
          'The directory of c2 chat servers (contract §7). Errors are `{ "error": "<code>", "message": "<text>" }`. See docs/LISTING-API.md.',
      },
      tags: [
        { name: 'servers', description: 'The directory' },
        { name: 'operations', description: 'Health and metrics' },
      ],
      components: {
        securitySchemes: {
          C2Listing: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description: '`C2Listing <key>`, with the key POST returned',
          },
        },
      },
    },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    // Every body of this API is optional (its properties all are); @fastify/swagger marks
    // any declared body as required.
    transformSpecification: (spec) => {
      const paths = (spec as { paths?: Record<string, Record<string, { requestBody?: { required?: boolean } }>> })
        .paths;
      for (const operations of Object.values(paths ?? {})) {
        for (const operation of Object.values(operations)) {
          if (operation.requestBody) operation.requestBody.required = false;
        }
      }
      return spec;
    },
  });
}
