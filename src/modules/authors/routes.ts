import { sluggedRoutes } from '../shared/slugged-routes.js';
import { AuthorListSchema, AuthorPatchSchema, AuthorSchema, NewAuthorSchema } from './schemas.js';

export default sluggedRoutes({
  plural: 'authors', singular: 'Author',
  Item: AuthorSchema, List: AuthorListSchema, Create: NewAuthorSchema, Patch: AuthorPatchSchema,
  service: (services) => services.authors,
});
