# Versions of configs and entrypoints the recipe vendors (none yet); abra reads the exports.
export DEMO_RECIPE_ABRA_SH=v1
