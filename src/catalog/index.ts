export { Catalog } from './catalog';
export type { CatalogApi, CatalogHub, CatalogOptions } from './catalog';
