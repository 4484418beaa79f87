// The ALTCHA widget's set-up on the sign-up page (after altcha.min.js, the CSP-strict
// "external" build, which bundles neither its workers nor its translations): the proof of
// work runs in the vendored PBKDF2/SHA worker, served from the portal itself, and the
// widget speaks French.
const altcha = globalThis.$altcha;
const worker = () => new Worker("/static/altcha.pbkdf2.js");
for (const name of ["PBKDF2/SHA-256", "PBKDF2/SHA-384", "PBKDF2/SHA-512"]) {
  altcha.algorithms.set(name, worker);
}
altcha.i18n.set("fr", {
  ariaLinkLabel: "ALTCHA (site officiel)",
  cancel: "Annuler",
  enterCode: "Saisissez le code",
  enterCodeAria: "Saisissez le code entendu. Appuyez sur Espace pour écouter.",
  enterCodeFromImage: "Pour continuer, saisissez le code de l'image ci-dessous.",
  error: "La vérification a échoué. Réessayez dans un instant.",
  expired: "La vérification a expiré. Recommencez.",
  footer: "",
  getAudioChallenge: "Obtenir un code audio",
  label: "Je ne suis pas un robot",
  loading: "Chargement…",
  reload: "Recommencer",
  verificationRequired: "Vérification nécessaire : cochez la case.",
  verified: "Vérification réussie",
  verify: "Vérifier",
  verifying: "Vérification en cours…",
  waitAlert: "Vérification en cours : merci de patienter.",
});
