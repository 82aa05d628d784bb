# Acknowledged breaking changes of the schema contract (schema/schema.graphql).
#
# `vitrine schema export` refuses to overwrite the contract, and `vitrine schema check`
# fails, when the schema breaks the previous contract in a way not listed here.
# One change per line, exactly as the check reports it:
#
#   <BreakingChangeType> <description as graphql-core prints it>
#
# for example:
#
#   FIELD_REMOVED Field Product.legacyUrl was removed.
#   REQUIRED_ARG_ADDED A required argument Query.products(channel:) was added.
#
# A line acknowledges only the change it names. Lines starting with # are comments.
# Empty the list (keep this header) once a release containing the changes is tagged.
