import type { Article } from '../modules/articles/schemas.js';

/**
 * The reference column (../shared/fixtures/opinion-column.txt) as `GET /v1/articles/by-slug/{slug}?include=all` answers it
 * anonymously: docs/examples/demo-column-include-all.json (written by test/app/demo.test.ts from the demo seed) with stable
 * ids, the column's own author and dates, and example SITE_URL/API_URL bases. The OpenAPI examples
 * (src/http/openapi-examples.ts) are cut from it. Generated: `UPDATE_EXAMPLES=1 npx tap test/app/openapi-docs.test.ts`.
 */
export const EXAMPLE_IDS = {
  ARTICLE: '01JD3Q8Z6V0R8Y5M2K1N4P7S9T',
  MEDIA: '01JD3Q8Z6V0R8Y5M2K1N4P7M3D',
  SECTION: '01JD3Q8Z6V0R8Y5M2K1N4P75EC',
  TAG_KOREA: '01JD3Q8Z6V0R8Y5M2K1N4P7TG1',
  TAG_RUSSIA: '01JD3Q8Z6V0R8Y5M2K1N4P7TG2',
  TAG_UN: '01JD3Q8Z6V0R8Y5M2K1N4P7TG3',
  AUTHOR: '01JD3Q8Z6V0R8Y5M2K1N4P7A7H',
  DISCLAIMER: '01JD3Q8Z6V0R8Y5M2K1N4P7D5C',
  LINK_STONE: '01JD3Q8Z6V0R8Y5M2K1N4P7RN1',
  ARTICLE_STONE: '01JD3Q8Z6V0R8Y5M2K1N4P7RA1',
  LINK_HANDLER: '01JD3Q8Z6V0R8Y5M2K1N4P7RN2',
  ARTICLE_HANDLER: '01JD3Q8Z6V0R8Y5M2K1N4P7RA2',
  CORRECTION: '01JD3Q8Z6V0R8Y5M2K1N4P7C0R',
  API_KEY_ADMIN: '01JD3Q8Z6V0R8Y5M2K1N4P7KA1',
  API_KEY_EDITOR: '01JD3Q8Z6V0R8Y5M2K1N4P7KE1',
  WEBHOOK: '01JD3Q8Z6V0R8Y5M2K1N4P7WH1',
  DELIVERY: '01JD3Q8Z6V0R8Y5M2K1N4P7DV1',
  EVENT: '01JD3Q8Z6V0R8Y5M2K1N4P7EV1',
  AUDIT_KEY: '01JD3Q8Z6V0R8Y5M2K1N4P7AD1',
  AUDIT_CREATE: '01JD3Q8Z6V0R8Y5M2K1N4P7AD2',
  AUDIT_PUBLISH: '01JD3Q8Z6V0R8Y5M2K1N4P7AD3',
} as const;

export const SITE_URL = 'https://www.example.com';
export const API_URL = 'https://api.example.com';

export const REFERENCE_COLUMN: Article = {
  id: '01JD3Q8Z6V0R8Y5M2K1N4P7S9T',
  slug: 'as-north-and-south-meet-putin-likely-to-lead-mediation-efforts-to-resolve-korean-crisis',
  url: 'https://www.example.com/articles/as-north-and-south-meet-putin-likely-to-lead-mediation-efforts-to-resolve-korean-crisis',
  headline: 'As North and South meet, Putin likely to lead mediation efforts to resolve Korean crisis',
  standfirst: 'Talks signify new hopes for the de-escalation of tensions in East Asia; Russia’s role as a leading state continues to grow',
  kicker: null,
  type: 'opinion',
  status: 'published',
  body: [
    {
      type: 'paragraph',
      id: 'p1',
      children: [
        {
          type: 'text',
          text: 'On January 10th, TASS reported that Moscow and Beijing have made an agreement to closely coordinate efforts to resolve the situation on the Korean Peninsula. This was stated by the Russian Foreign Ministry after the conclusion of a meeting between the Russian Deputy Foreign Minister Igor Morgulov and the Chinese Ambassador to Russia, Li Hui.',
        },
      ],
    },
    {
      type: 'paragraph',
      id: 'p2',
      children: [
        {
          type: 'text',
          text: 'The Korean story is a swiftly developing one, and has gained momentum since North Korean President Kim Jong-un directed his government to move to re-open communication with the South Korean government. This directive was announced in Jong-un’s New Year address to his nation, and it was followed up immediately by overtures to the South for better relations. This led to a marathon meeting on the border.',
        },
      ],
    },
    {
      type: 'image',
      id: 'photo-panmunjom',
      mediaId: '01JD3Q8Z6V0R8Y5M2K1N4P7M3D',
      layout: 'wide',
      media: {
        id: '01JD3Q8Z6V0R8Y5M2K1N4P7M3D',
        kind: 'upload',
        url: 'https://api.example.com/v1/media/01JD3Q8Z6V0R8Y5M2K1N4P7M3D/file',
        mimeType: 'image/jpeg',
        width: 1200,
        height: 800,
        bytes: 12021,
        sha256: '57d19c770ed5dba7abd34cabbbc37346ddc6491b5c42319f7ec3a7bcecd6ce47',
        altText: 'A North Korean delegate is greeted by a South Korean official at the border in Panmunjom',
        caption: [
          {
            type: 'text',
            text: 'Head of North Korean delegation, Ri Son Gwon, is greeted by a South Korean official as he crosses a concrete border to attend their meeting at the truce village of Panmunjom in the demilitarised zone separating the two Koreas, January 9, 2018.',
          },
        ],
        creditText: 'Korea Pool / Reuters',
        creator: null,
        copyrightNotice: '© Korea Pool / Reuters',
        licenseUrl: null,
        source: {
          name: 'Reuters',
          category: 'wires',
        },
        focalPoint: {
          x: 0.5,
          y: 0.6,
        },
        takenAt: null,
        renditions: [
          {
            width: 320,
            height: 213,
            url: 'https://api.example.com/v1/media/01JD3Q8Z6V0R8Y5M2K1N4P7M3D/file?w=320',
          },
          {
            width: 640,
            height: 427,
            url: 'https://api.example.com/v1/media/01JD3Q8Z6V0R8Y5M2K1N4P7M3D/file?w=640',
          },
          {
            width: 960,
            height: 640,
            url: 'https://api.example.com/v1/media/01JD3Q8Z6V0R8Y5M2K1N4P7M3D/file?w=960',
          },
        ],
        createdAt: '2018-01-10T08:30:00.000Z',
        updatedAt: '2018-01-10T08:30:00.000Z',
      },
      display: {
        caption: [
          {
            type: 'text',
            text: 'Head of North Korean delegation, Ri Son Gwon, is greeted by a South Korean official as he crosses a concrete border to attend their meeting at the truce village of Panmunjom in the demilitarised zone separating the two Koreas, January 9, 2018.',
          },
        ],
        credit: 'Korea Pool / Reuters',
        alt: 'A North Korean delegate is greeted by a South Korean official at the border in Panmunjom',
      },
    },
    {
      type: 'paragraph',
      id: 'p3',
      children: [
        {
          type: 'text',
          text: 'On January 10th, also, the United Nations Security Council hailed these contacts between North and South Korea, and expressed hope for de-nuclearization of the Korean Peninsula. While details of the meeting were not discussed, Kazakhstan’s Permanent Representative to the UN said:',
        },
      ],
    },
    {
      type: 'blockquote',
      id: 'quote-unsc',
      children: [
        {
          type: 'paragraph',
          id: 'quote-unsc-p1',
          children: [
            {
              type: 'text',
              text: 'Members of the Security Council welcomed the recent steps and contacts between North and South Koreas… [They also] noted that such preliminary dialogue between the two Korean states may open possibilities for building up trust on the Korean Peninsula, ease tension and lead to denuclearization.',
            },
          ],
        },
      ],
      attribution: {
        name: 'Kazakhstan’s Permanent Representative to the UN',
      },
    },
    {
      type: 'paragraph',
      id: 'p4',
      children: [
        {
          type: 'text',
          text: 'The US Permanent Representative Nikki Haley spoke earlier, saying that Washington couldn’t “take any of the talks seriously if they don’t do something to ban all nuclear weapons.”',
        },
      ],
    },
    {
      type: 'paragraph',
      id: 'p5',
      children: [
        {
          type: 'text',
          text: 'Wednesday’s meeting of the UN Security Council was initiated by Poland and Sweden. The Swedish representative asked that the Security Council stay unified and to make every effort to settle the situation between North and South Korea. The same representative expressed encouragement about the progress being made and added the comment that Stockholm thinks North Korea’s participation in the Winter Olympic Games is good news.',
        },
      ],
    },
    {
      type: 'paragraph',
      id: 'p6',
      children: [
        {
          type: 'text',
          text: 'At this time, no Western diplomats support the idea of easing sanctions on North Korea. Even the South Korean president noted that the pressure applied by the United States President Donald Trump may have been a significant factor in getting Pyongyang to come to the table for talks. When asked about this himself, President Donald Trump expressed that the USA was willing to speak to North Korea “under the right circumstances”, and that rumors earlier reported in a Wall Street Journal and U.K. Telegraph article about Trump contemplating a “bloody nose” military strike against the North was completely incorrect.',
        },
      ],
    },
    {
      type: 'paragraph',
      id: 'p7',
      children: [
        {
          type: 'text',
          text: 'The work that Russia has done in the region is significant, and often unreported in the West. This Korean situation is quite well known all over the West, but Russia appears almost absent in Western media eyes. It becomes more clear when one looks at several events in recent history. The afore mentioned “face-saving” of US President Obama in 2013 was seen by this author as the sign that the Russian president Putin has effectively become the leader of the free, and Christian, world. This was because Obama supported rebels that allied themselves with Al-Qaeda and these were the very people who went on to decimate Christian communities in Syria.',
        },
      ],
    },
    {
      type: 'paragraph',
      id: 'p8',
      children: [
        {
          type: 'text',
          text: 'Further developments for a Eurasian Economic Union, with Russia, several of the former Soviet Republics, the impending agreement of China to free trade with that Union, and India getting involved, shows the Russian Federation as a strong collaborative force. The Union is a work in progress, but it IS making progress. Rather than by the use of solely military might, Russia’s foreign policy seems to favor cooperation among nations as equals. The EEU certainly represents competition to both the EU and the Asia-Pacific trading areas, but that is usually a good thing.',
        },
      ],
    },
  ],
  hero: null,
  sectionId: '01JD3Q8Z6V0R8Y5M2K1N4P75EC',
  tagIds: [
    '01JD3Q8Z6V0R8Y5M2K1N4P7TG1',
    '01JD3Q8Z6V0R8Y5M2K1N4P7TG2',
    '01JD3Q8Z6V0R8Y5M2K1N4P7TG3',
  ],
  authors: [
    {
      authorId: '01JD3Q8Z6V0R8Y5M2K1N4P7A7H',
      role: 'author',
      author: {
        id: '01JD3Q8Z6V0R8Y5M2K1N4P7A7H',
        slug: 'seraphim-hanisch',
        name: 'Seraphim Hanisch',
        bio: 'Opinion columnist.',
        url: null,
        imageMediaId: null,
        createdAt: '2018-01-10T08:30:00.000Z',
        updatedAt: '2018-01-10T08:30:00.000Z',
      },
    },
  ],
  bylineOverride: null,
  language: 'en',
  canonicalUrl: null,
  seo: null,
  commentsMode: 'open',
  source: {
    name: 'TASS',
  },
  revision: 3,
  createdAt: '2018-01-10T08:30:00.000Z',
  updatedAt: '2018-01-10T09:00:00.000Z',
  firstPublishedAt: '2018-01-10T09:00:00.000Z',
  publishedAt: '2018-01-10T09:00:00.000Z',
  contentUpdatedAt: null,
  deletedAt: null,
  wordCount: 601,
  readingTimeMinutes: 3,
  excerpt: 'On January 10th, TASS reported that Moscow and Beijing have made an agreement to closely coordinate efforts to resolve the situation on the Korean Peninsula. This was stated by the Russian Foreign Ministry after the conclusion of a meeting between the Russian Deputy Foreign Minister Igor Morgulov…',
  disclaimers: {
    top: [
      {
        id: '01JD3Q8Z6V0R8Y5M2K1N4P7D5C',
        key: 'opinion-views',
        kind: 'disclaimer',
        title: null,
        body: [
          {
            type: 'text',
            text: 'The statements, views and opinions expressed in this column are solely those of the author and do not necessarily represent those of this site. This site does not give financial, investment or medical advice.',
          },
        ],
        placements: [
          'top',
          'bottom',
        ],
        source: 'rule',
      },
    ],
    bottom: [
      {
        id: '01JD3Q8Z6V0R8Y5M2K1N4P7D5C',
        key: 'opinion-views',
        kind: 'disclaimer',
        title: null,
        body: [
          {
            type: 'text',
            text: 'The statements, views and opinions expressed in this column are solely those of the author and do not necessarily represent those of this site. This site does not give financial, investment or medical advice.',
          },
        ],
        placements: [
          'top',
          'bottom',
        ],
        source: 'rule',
      },
    ],
  },
  related: [
    {
      id: '01JD3Q8Z6V0R8Y5M2K1N4P7RN1',
      position: 0,
      label: null,
      url: 'https://www.example.com/articles/oliver-stones-film-ukraine-on-fire-finally-available-in-original-english-watch',
      target: {
        id: '01JD3Q8Z6V0R8Y5M2K1N4P7RA1',
        slug: 'oliver-stones-film-ukraine-on-fire-finally-available-in-original-english-watch',
        url: 'https://www.example.com/articles/oliver-stones-film-ukraine-on-fire-finally-available-in-original-english-watch',
        headline: 'Oliver Stone’s film ‘Ukraine on Fire’ FINALLY available in original English (WATCH)',
        type: 'news',
        publishedAt: '2018-01-09T09:00:00.000Z',
        hero: null,
      },
    },
    {
      id: '01JD3Q8Z6V0R8Y5M2K1N4P7RN2',
      position: 1,
      label: null,
      url: 'https://www.example.com/articles/chelsea-handler-makes-homophobic-remark-about-lindsey-graham',
      target: {
        id: '01JD3Q8Z6V0R8Y5M2K1N4P7RA2',
        slug: 'chelsea-handler-makes-homophobic-remark-about-lindsey-graham',
        url: 'https://www.example.com/articles/chelsea-handler-makes-homophobic-remark-about-lindsey-graham',
        headline: 'Chelsea Handler makes homophobic Remark about Lindsey Graham',
        type: 'news',
        publishedAt: '2018-01-08T09:00:00.000Z',
        hero: null,
      },
    },
  ],
  section: {
    id: '01JD3Q8Z6V0R8Y5M2K1N4P75EC',
    slug: 'opinion',
    name: 'Opinion',
    parentId: null,
    createdAt: '2018-01-10T08:30:00.000Z',
    updatedAt: '2018-01-10T08:30:00.000Z',
  },
  tags: [
    {
      id: '01JD3Q8Z6V0R8Y5M2K1N4P7TG1',
      slug: 'korean-peninsula',
      name: 'Korean Peninsula',
      createdAt: '2018-01-10T08:30:00.000Z',
      updatedAt: '2018-01-10T08:30:00.000Z',
    },
    {
      id: '01JD3Q8Z6V0R8Y5M2K1N4P7TG2',
      slug: 'russia',
      name: 'Russia',
      createdAt: '2018-01-10T08:30:00.000Z',
      updatedAt: '2018-01-10T08:30:00.000Z',
    },
    {
      id: '01JD3Q8Z6V0R8Y5M2K1N4P7TG3',
      slug: 'united-nations',
      name: 'United Nations',
      createdAt: '2018-01-10T08:30:00.000Z',
      updatedAt: '2018-01-10T08:30:00.000Z',
    },
  ],
  bodyHtml: '<p>On January 10th, TASS reported that Moscow and Beijing have made an agreement to closely coordinate efforts to resolve the situation on the Korean Peninsula. This was stated by the Russian Foreign Ministry after the conclusion of a meeting between the Russian Deputy Foreign Minister Igor Morgulov and the Chinese Ambassador to Russia, Li Hui.</p>\n<p>The Korean story is a swiftly developing one, and has gained momentum since North Korean President Kim Jong-un directed his government to move to re-open communication with the South Korean government. This directive was announced in Jong-un’s New Year address to his nation, and it was followed up immediately by overtures to the South for better relations. This led to a marathon meeting on the border.</p>\n<figure class="image" data-layout="wide"><img src="https://api.example.com/v1/media/01JD3Q8Z6V0R8Y5M2K1N4P7M3D/file" srcset="https://api.example.com/v1/media/01JD3Q8Z6V0R8Y5M2K1N4P7M3D/file?w=320 320w, https://api.example.com/v1/media/01JD3Q8Z6V0R8Y5M2K1N4P7M3D/file?w=640 640w, https://api.example.com/v1/media/01JD3Q8Z6V0R8Y5M2K1N4P7M3D/file?w=960 960w" alt="A North Korean delegate is greeted by a South Korean official at the border in Panmunjom" width="1200" height="800" loading="lazy"><figcaption>Head of North Korean delegation, Ri Son Gwon, is greeted by a South Korean official as he crosses a concrete border to attend their meeting at the truce village of Panmunjom in the demilitarised zone separating the two Koreas, January 9, 2018. <span class="credit">Korea Pool / Reuters</span></figcaption></figure>\n<p>On January 10th, also, the United Nations Security Council hailed these contacts between North and South Korea, and expressed hope for de-nuclearization of the Korean Peninsula. While details of the meeting were not discussed, Kazakhstan’s Permanent Representative to the UN said:</p>\n<blockquote><p>Members of the Security Council welcomed the recent steps and contacts between North and South Koreas… [They also] noted that such preliminary dialogue between the two Korean states may open possibilities for building up trust on the Korean Peninsula, ease tension and lead to denuclearization.</p><footer><cite>Kazakhstan’s Permanent Representative to the UN</cite></footer></blockquote>\n<p>The US Permanent Representative Nikki Haley spoke earlier, saying that Washington couldn’t “take any of the talks seriously if they don’t do something to ban all nuclear weapons.”</p>\n<p>Wednesday’s meeting of the UN Security Council was initiated by Poland and Sweden. The Swedish representative asked that the Security Council stay unified and to make every effort to settle the situation between North and South Korea. The same representative expressed encouragement about the progress being made and added the comment that Stockholm thinks North Korea’s participation in the Winter Olympic Games is good news.</p>\n<p>At this time, no Western diplomats support the idea of easing sanctions on North Korea. Even the South Korean president noted that the pressure applied by the United States President Donald Trump may have been a significant factor in getting Pyongyang to come to the table for talks. When asked about this himself, President Donald Trump expressed that the USA was willing to speak to North Korea “under the right circumstances”, and that rumors earlier reported in a Wall Street Journal and U.K. Telegraph article about Trump contemplating a “bloody nose” military strike against the North was completely incorrect.</p>\n<p>The work that Russia has done in the region is significant, and often unreported in the West. This Korean situation is quite well known all over the West, but Russia appears almost absent in Western media eyes. It becomes more clear when one looks at several events in recent history. The afore mentioned “face-saving” of US President Obama in 2013 was seen by this author as the sign that the Russian president Putin has effectively become the leader of the free, and Christian, world. This was because Obama supported rebels that allied themselves with Al-Qaeda and these were the very people who went on to decimate Christian communities in Syria.</p>\n<p>Further developments for a Eurasian Economic Union, with Russia, several of the former Soviet Republics, the impending agreement of China to free trade with that Union, and India getting involved, shows the Russian Federation as a strong collaborative force. The Union is a work in progress, but it IS making progress. Rather than by the use of solely military might, Russia’s foreign policy seems to favor cooperation among nations as equals. The EEU certainly represents competition to both the EU and the Asia-Pacific trading areas, but that is usually a good thing.</p>',
  bodyText: 'On January 10th, TASS reported that Moscow and Beijing have made an agreement to closely coordinate efforts to resolve the situation on the Korean Peninsula. This was stated by the Russian Foreign Ministry after the conclusion of a meeting between the Russian Deputy Foreign Minister Igor Morgulov and the Chinese Ambassador to Russia, Li Hui.\n\nThe Korean story is a swiftly developing one, and has gained momentum since North Korean President Kim Jong-un directed his government to move to re-open communication with the South Korean government. This directive was announced in Jong-un’s New Year address to his nation, and it was followed up immediately by overtures to the South for better relations. This led to a marathon meeting on the border.\n\nHead of North Korean delegation, Ri Son Gwon, is greeted by a South Korean official as he crosses a concrete border to attend their meeting at the truce village of Panmunjom in the demilitarised zone separating the two Koreas, January 9, 2018. (Korea Pool / Reuters)\n\nOn January 10th, also, the United Nations Security Council hailed these contacts between North and South Korea, and expressed hope for de-nuclearization of the Korean Peninsula. While details of the meeting were not discussed, Kazakhstan’s Permanent Representative to the UN said:\n\nMembers of the Security Council welcomed the recent steps and contacts between North and South Koreas… [They also] noted that such preliminary dialogue between the two Korean states may open possibilities for building up trust on the Korean Peninsula, ease tension and lead to denuclearization.\n— Kazakhstan’s Permanent Representative to the UN\n\nThe US Permanent Representative Nikki Haley spoke earlier, saying that Washington couldn’t “take any of the talks seriously if they don’t do something to ban all nuclear weapons.”\n\nWednesday’s meeting of the UN Security Council was initiated by Poland and Sweden. The Swedish representative asked that the Security Council stay unified and to make every effort to settle the situation between North and South Korea. The same representative expressed encouragement about the progress being made and added the comment that Stockholm thinks North Korea’s participation in the Winter Olympic Games is good news.\n\nAt this time, no Western diplomats support the idea of easing sanctions on North Korea. Even the South Korean president noted that the pressure applied by the United States President Donald Trump may have been a significant factor in getting Pyongyang to come to the table for talks. When asked about this himself, President Donald Trump expressed that the USA was willing to speak to North Korea “under the right circumstances”, and that rumors earlier reported in a Wall Street Journal and U.K. Telegraph article about Trump contemplating a “bloody nose” military strike against the North was completely incorrect.\n\nThe work that Russia has done in the region is significant, and often unreported in the West. This Korean situation is quite well known all over the West, but Russia appears almost absent in Western media eyes. It becomes more clear when one looks at several events in recent history. The afore mentioned “face-saving” of US President Obama in 2013 was seen by this author as the sign that the Russian president Putin has effectively become the leader of the free, and Christian, world. This was because Obama supported rebels that allied themselves with Al-Qaeda and these were the very people who went on to decimate Christian communities in Syria.\n\nFurther developments for a Eurasian Economic Union, with Russia, several of the former Soviet Republics, the impending agreement of China to free trade with that Union, and India getting involved, shows the Russian Federation as a strong collaborative force. The Union is a work in progress, but it IS making progress. Rather than by the use of solely military might, Russia’s foreign policy seems to favor cooperation among nations as equals. The EEU certainly represents competition to both the EU and the Asia-Pacific trading areas, but that is usually a good thing.',
};
