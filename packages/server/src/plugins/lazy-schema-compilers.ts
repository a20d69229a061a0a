import { createRequire } from 'node:module';
import type AjvCompiler from '@fastify/ajv-compiler';
import type SerializerSelector from '@fastify/fast-json-stringify-compiler';

/**
 * Fastify's own schema compilers (Ajv for requests, fast-json-stringify for answers), compiling
 * each route's schema on its first request instead of at start. Compiling ~80 routes' schemas up
 * front made ~13 MB of generated code and compiler state that an idle server never uses. The
 * compilers, their options and the shared schemas are Fastify's defaults; only the moment moves
 * (the compiler packages, Ajv and fast-json-stringify included, load with the first compile).
 * A schema that does not compile fails its route's first request (a 500) rather than the start:
 * every route is exercised by the test suites.
 */

// Both are CommonJS: required synchronously from inside the first compile.
const require = createRequire(import.meta.url);
const defaultValidatorBuilder = (): BuildValidator => (require('@fastify/ajv-compiler') as typeof AjvCompiler)();
const defaultSerializerBuilder = (): BuildSerializer => (require('@fastify/fast-json-stringify-compiler') as typeof SerializerSelector)();

type BuildValidator = ReturnType<typeof AjvCompiler>;
type BuildSerializer = ReturnType<typeof SerializerSelector>;
type RouteValidator = ReturnType<ReturnType<BuildValidator>>;

/**
 * What Fastify reads from a validator besides calling it: `errors` after a failed call, and
 * `schemaEnv` (Ajv's) to decide whether to pass the parent object, which lets Ajv replace the
 * validated value itself (defaults, coercion).
 */
interface LazyValidator {
  (data: unknown, context?: object): unknown;
  errors?: RouteValidator['errors'];
  schemaEnv?: object;
}

export function lazyValidatorBuilder(load: () => BuildValidator = defaultValidatorBuilder): BuildValidator {
  // One builder for every encapsulation context, as Fastify's default: it shares Ajv instances.
  let builder: BuildValidator | undefined;
  return (externalSchemas, options) => {
    let compile: ReturnType<BuildValidator> | undefined;
    const compileRoute: ReturnType<BuildValidator> = (route) => {
      let validate: RouteValidator | undefined;
      const lazy: LazyValidator = (data, context) => {
        compile ??= (builder ??= load())(externalSchemas, options);
        validate ??= compile(route);
        const result = context === undefined ? validate(data) : validate(data, context as Parameters<RouteValidator>[1]);
        lazy.errors = validate.errors;
        return result;
      };
      // The compiled validator is Ajv's: let Fastify pass the parent object from the first call.
      lazy.schemaEnv = {};
      return lazy as unknown as RouteValidator;
    };
    return compileRoute;
  };
}

export function lazySerializerBuilder(load: () => BuildSerializer = defaultSerializerBuilder): BuildSerializer {
  let builder: BuildSerializer | undefined;
  return (externalSchemas, options) => {
    let compile: ReturnType<BuildSerializer> | undefined;
    return (route) => {
      let serialize: ReturnType<ReturnType<BuildSerializer>> | undefined;
      return (document) => {
        compile ??= (builder ??= load())(externalSchemas, options);
        serialize ??= compile(route);
        return serialize(document);
      };
    };
  };
}
