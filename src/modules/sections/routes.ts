import { sluggedRoutes } from '../shared/slugged-routes.js';
import { NewSectionSchema, SectionListSchema, SectionPatchSchema, SectionSchema } from './schemas.js';

export default sluggedRoutes({
  plural: 'sections', singular: 'Section',
  Item: SectionSchema, List: SectionListSchema, Create: NewSectionSchema, Patch: SectionPatchSchema,
  service: (services) => services.sections,
});
