/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The catalogue: the models, their options and how each is written on the
 * wire, their prices, and the names read in the service's answers. It is
 * data (src/core/catalog.json, compiled in), read once on first use; a file
 * of the person's own (CLAPBOARD_CATALOG, else
 * $XDG_CONFIG_HOME/clapboard/catalog.json) is merged over it. Every pointer
 * it hands out lives as long as the process. */

/* Money is counted in ten-thousandths of a US dollar: every price of the
 * provider's tables has at most four decimals, so estimates are exact integers.
 */
typedef gint64 ClapPrice;
#define CLAP_PRICE_UNITS_PER_DOLLAR 10000

/* The options a request can carry. The catalogue says, for each model, which
 * of them it takes and how each is written on the wire. */
typedef enum {
  CLAP_OPTION_PROMPT,
  CLAP_OPTION_NEGATIVE_PROMPT,
  CLAP_OPTION_MODE,
  CLAP_OPTION_DURATION,
  CLAP_OPTION_ASPECT_RATIO,
  CLAP_OPTION_IMAGE,
  CLAP_OPTION_IMAGE_TAIL,
  CLAP_OPTION_SOUND,
  CLAP_OPTION_VOICES,
  CLAP_OPTION_MOTION_VIDEO,
  CLAP_OPTION_CHARACTER_ORIENTATION,
  CLAP_OPTION_KEEP_ORIGINAL_SOUND,
  CLAP_OPTION_VERSION,
  CLAP_OPTION_CALLBACK_URL,
  CLAP_N_OPTIONS
} ClapOption;

/* How a value is written in the request body. */
typedef enum {
  CLAP_WIRE_STRING,       /* "field": "value" */
  CLAP_WIRE_STRING_ARRAY, /* "field": ["value"] (a variant some endpoints use for URLs) */
  CLAP_WIRE_SWITCH,       /* a boolean written as the choice's on/off wire values */
  CLAP_WIRE_VOICE_LIST,   /* "field": [{"voice_id": "…"}, …] */
} ClapWireKind;

/* One name an option is written under. The provider's pages disagree, so an
 * option may go out under several names at once (motion control's image is
 * both "image" and "input_urls"). */
typedef struct {
  const char   *name;
  ClapWireKind  kind;
} ClapWireField;

typedef struct {
  const char         *value;       /* the value the application uses ("std", "16:9", "2.6") */
  const char         *wire_value;  /* how it is sent (usually the same) */
  const char         *label;       /* untranslated; translate with _() */
  const char * const *answered_as; /* a version's model names in answers, or NULL */
} ClapChoice;

typedef struct {
  ClapOption           option;
  const char          *wire_name;  /* the first of @wires */
  ClapWireKind         wire_kind;  /* the kind of the first of @wires */
  const char          *label;      /* untranslated */
  const ClapChoice    *choices;    /* NULL-terminated by value, or NULL */
  const char          *default_value;
  const ClapWireField *wires;      /* every name it is written under, NULL-terminated by name */
} ClapOptionSpec;

typedef enum {
  CLAP_MODEL_PROMPT_REQUIRED   = 1 << 0,
  CLAP_MODEL_NEEDS_IMAGE       = 1 << 1,
  CLAP_MODEL_NEEDS_MOTION      = 1 << 2,
  CLAP_MODEL_SOUND_NEEDS_PRO   = 1 << 3,
  CLAP_MODEL_DURATION_IS_VIDEO = 1 << 4, /* the motion video's length is the output's */
  CLAP_MODEL_PRICED_PER_SECOND = 1 << 5,
} ClapModelFlags;

typedef struct {
  const char           *id;          /* "kling-v2-6" */
  const char           *label;       /* untranslated */
  const char           *description; /* untranslated */
  ClapModelFlags        flags;
  const guint          *durations;   /* 0-terminated list of allowed seconds, or NULL for a range */
  guint                 min_duration;
  guint                 max_duration;
  guint                 default_duration;
  guint                 max_voices;
  const ClapOptionSpec *options;     /* terminated by an entry with wire_name == NULL */
  const char * const   *answered_as; /* model names the service may answer with */
} ClapModelSpec;

/* Limits of the inputs the provider accepts. */
#define CLAP_PROMPT_MAX_CHARS          2500
#define CLAP_IMAGE_MAX_BYTES           (10 * 1000 * 1000)
#define CLAP_IMAGE_MIN_SIDE            300
#define CLAP_IMAGE_MAX_ASPECT          2.5
#define CLAP_VIDEO_MAX_BYTES           (100 * 1000 * 1000)
#define CLAP_VIDEO_MIN_SECONDS         3.0
#define CLAP_VIDEO_MAX_SECONDS         30.0
#define CLAP_VIDEO_MAX_SECONDS_IMAGE   10.0 /* character_orientation "image" */
#define CLAP_VIDEO_MIN_SIDE            340
#define CLAP_VIDEO_MAX_SIDE            3850

guint                 clap_catalog_get_n_models    (void);
const ClapModelSpec  *clap_catalog_get_model       (guint index);
const ClapModelSpec  *clap_catalog_find_model      (const char *id);
const ClapModelSpec  *clap_catalog_model_from_wire (const char *wire_model);
const ClapOptionSpec *clap_model_get_option        (const ClapModelSpec *model,
                                                    ClapOption           option);
gboolean              clap_model_has_option        (const ClapModelSpec *model,
                                                    ClapOption           option);
const ClapChoice     *clap_option_find_choice      (const ClapOptionSpec *spec,
                                                    const char           *value);
gboolean              clap_model_allows_duration   (const ClapModelSpec *model,
                                                    guint                seconds);
const char           *clap_option_get_name         (ClapOption option);

gboolean              clap_catalog_estimate        (const char *model_id,
                                                    const char *mode,
                                                    const char *version,
                                                    gboolean    sound,
                                                    gboolean    voice,
                                                    guint       seconds,
                                                    ClapPrice  *out_price);
char                 *clap_price_format            (ClapPrice   price);

/* The rows of the provider's price tables, for tests and documentation. */
typedef struct {
  const char *model;
  const char *mode;
  const char *version;  /* motion control only, else NULL */
  gboolean    sound;
  gboolean    voice;
  guint       seconds;  /* 0: per second, any allowed duration */
  ClapPrice   price;    /* per clip, or per second when seconds == 0 */
} ClapPriceRow;

const ClapPriceRow   *clap_catalog_get_price_rows  (guint *n_rows);

char                 *clap_catalog_check_echo      (const char *model_id,
                                                    const char *version,
                                                    const char *answered_model);

/* What a state name in an answer means. */
typedef enum {
  CLAP_ANSWER_QUEUED,
  CLAP_ANSWER_RUNNING,
  CLAP_ANSWER_COMPLETED,
  CLAP_ANSWER_FAILED,
  CLAP_ANSWER_ENDED,     /* cancelled or expired: over, with no result */
} ClapAnswerMeaning;

/* The member names read in the service's answers, each a NULL-terminated
 * list tried in order. A name with a dot ("result.videos") is a path. */
typedef struct {
  const char * const *task_id;
  const char * const *state;
  const char * const *results;
  const char * const *result_json;
  const char * const *video_suffixes;
  const char * const *not_results;   /* never searched for a result link */
  const char * const *fail_reason;
  const char * const *fail_code;
  const char * const *model;
  const char * const *create_time;
  const char * const *complete_time;
  const char * const *cost_time;
  const char * const *thumbnail;
  const char * const *video_duration;
  const char * const *video_size;
  const char * const *param;
  const gint64       *success_codes;
  guint               n_success_codes;
} ClapAnswerNames;

const ClapAnswerNames *clap_catalog_get_answers    (void);
gboolean              clap_catalog_read_state      (const char        *value,
                                                    ClapAnswerMeaning *meaning);

/* A catalogue file of the person's own, merged over the built-in one. */
#define CLAP_CATALOG_ERROR (clap_catalog_error_quark ())

typedef enum {
  CLAP_CATALOG_ERROR_READ,     /* the file cannot be read */
  CLAP_CATALOG_ERROR_PARSE,    /* it is not JSON, or too large or deep */
  CLAP_CATALOG_ERROR_INVALID,  /* an entry breaks a rule of the catalogue */
} ClapCatalogError;

GQuark                clap_catalog_error_quark        (void);
const char           *clap_catalog_get_override_path  (void);
const GError         *clap_catalog_get_override_error (void);
gboolean              clap_catalog_check_file         (const char  *path,
                                                       GError     **error);

G_END_DECLS
