// Hand-written helpers over the generated API types (openapi.d.ts): the page types the body of
// every `api()` call with them, so a path or a field the API renames or drops fails `tsc`
// (scripts/test.d/15-web-types.sh).
import type { components, paths } from './openapi';

/** The API's schemas by name, e.g. `Schemas['Vocabulary']`. */
export type Schemas = components['schemas'];

/** An HTTP method of the API. */
type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';

/** The body types of one response (every media type but problem+json); `null` without a body (204). */
type Body<R> = R extends { content: infer C }
  ? C extends Record<string, unknown> ? C[Exclude<keyof C, 'application/problem+json'>] : null
  : null;

/**
 * The body of a successful response (200, 201 or 202; 204 is `null`) of `M P`, where `P` is a
 * path of the OpenAPI document as written there (`/api/v1/suggestions/{id}`), e.g.
 * `Reply<'/api/v1/nearest'>` or `Reply<'/api/v1/coverage', 'post'>`.
 */
export type Reply<P extends keyof paths, M extends Method = 'get'> =
  paths[P][M] extends { responses: infer R } ? Body<R[Extract<keyof R, 200 | 201 | 202 | 204>]> : never;

/** The JSON request body of `M P`, e.g. `RequestBody<'/api/v1/coverage', 'post'>`. */
export type RequestBody<P extends keyof paths, M extends Method = 'post'> =
  paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/**
 * `GET /config.json`, what the page needs from the server's configuration
 * (`crates/nuanxin/src/server/web.rs` `config_json`). Not part of the OpenAPI document, so
 * written by hand here.
 */
export interface PageConfig {
  basemap_url: string | null;
  basemap_attribution?: string | null;
  basemap_warning?: string | null;
  /** The street basemap archive as a MapLibre vector source, null without one. */
  vector_tiles?: { tiles: string[]; minzoom?: number; maxzoom?: number; attribution?: string; bounds?: [number, number, number, number] } | null;
  /** 天地图 raster layers. */
  raster_basemaps?: { id: string; tiles: string[]; attribution?: string }[];
  speeds_m_per_s: { walk: number; ebike: number };
  roads?: boolean;
  maplibre_version?: string;
  demo_points?: number;
  version?: string;
  /** Our own layers: vector tile URL templates and feature counts (points also per kind). */
  layers?: {
    points?: { tiles: string; features: number; by_kind?: Record<string, number> };
    suggestions?: { tiles: string; features: number };
  };
  /** A layer with more features than this is drawn from its vector tiles. */
  tiles_above?: number;
}

/**
 * The `gaps` of a what-if answer (`WhatIfState.gaps`, a plain object in the OpenAPI
 * document): one MultiPolygon per district with its row, adcode, name and gap cells.
 */
export type DistrictGaps = import('geojson').FeatureCollection<
  import('geojson').MultiPolygon,
  { row: number; adcode?: string | null; name: string; cells: number }
>;
