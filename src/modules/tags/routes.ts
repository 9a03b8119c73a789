import { sluggedRoutes } from '../shared/slugged-routes.js';
import { NewTagSchema, TagListSchema, TagPatchSchema, TagSchema } from './schemas.js';

export default sluggedRoutes({
  plural: 'tags', singular: 'Tag',
  Item: TagSchema, List: TagListSchema, Create: NewTagSchema, Patch: TagPatchSchema,
  service: (services) => services.tags,
});
