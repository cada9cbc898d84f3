/**
 * The associate reads these at the counter: short, plain, localized (CONTRACT §5).
 * `{field}` is an SPI field path; `{reason}` is one of REASONS, localized too; `{retry}` seconds.
 * A 5xx message names no internals (no host, no CRM name, no stack).
 */
import type { ErrorCode } from './error-catalogue.js'

export const LANGUAGES = ['en', 'fr', 'de', 'es', 'ja'] as const
export type Language = (typeof LANGUAGES)[number]

type Messages = Record<Exclude<ErrorCode, 'UNAUTHORIZED'>, string>

const en: Messages = {
  INVALID_REQUEST: 'Invalid value for {field}: {reason}.',
  MALFORMED_JSON: 'The request body is not valid JSON.',
  CUSTOMER_ID_REQUIRED: 'profile.customerId is required to update a customer.',
  CUSTOMER_ID_MISMATCH: 'The customer id in the URL differs from profile.customerId.',
  INVALID_CUSTOMER_ID: 'The customer id in {field} is not valid.',
  SEARCH_CRITERIA_REQUIRED: 'Enter at least one search criterion (name, e-mail, phone, customer or loyalty id).',
  SEARCH_PARAMETER_UNSUPPORTED: 'Searching by {field} is not supported.',
  PAGING_OUT_OF_RANGE: 'Invalid value for {field}: {reason}.',
  CRM_VALIDATION_FAILED: 'The customer record was refused: check {field}.',
  CUSTOMER_NOT_FOUND: 'Customer not found.',
  ROUTE_NOT_FOUND: 'Unknown address.',
  METHOD_NOT_ALLOWED: 'This method is not allowed here.',
  DUPLICATE_CUSTOMER: 'A customer with these details already exists.',
  UPDATE_CONFLICT: 'The customer was changed at the same time. Please try again.',
  BODY_TOO_LARGE: 'The request is too large.',
  UNSUPPORTED_MEDIA_TYPE: 'Send the request as JSON (Content-Type: application/json).',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was already used for a different request.',
  RATE_LIMITED: 'Too many requests. Please try again in {retry} seconds.',
  CLIENT_CLOSED_REQUEST: 'The request was cancelled.',
  CRM_RATE_LIMITED: 'The customer system is busy. Please try again in {retry} seconds.',
  CRM_QUOTA_EXHAUSTED: 'The customer system has reached its usage limit for now. Please try again in {retry} seconds or later.',
  CRM_ERROR: 'The customer system reported an error. Please try again.',
  CRM_BAD_RESPONSE: 'The customer system gave an unexpected answer. Please try again.',
  CRM_UNAVAILABLE: 'The customer system is unavailable. Please try again shortly.',
  CRM_TIMEOUT: 'The customer system did not answer in time. Please try again.',
  INTERNAL_ERROR: 'Something went wrong. Please try again.'
}

const fr: Messages = {
  INVALID_REQUEST: 'Valeur invalide pour {field} : {reason}.',
  MALFORMED_JSON: "Le corps de la requête n'est pas du JSON valide.",
  CUSTOMER_ID_REQUIRED: 'profile.customerId est obligatoire pour modifier un client.',
  CUSTOMER_ID_MISMATCH: "L'identifiant client de l'URL diffère de profile.customerId.",
  INVALID_CUSTOMER_ID: "L'identifiant client dans {field} n'est pas valide.",
  SEARCH_CRITERIA_REQUIRED: 'Saisissez au moins un critère de recherche (nom, e-mail, téléphone, identifiant client ou fidélité).',
  SEARCH_PARAMETER_UNSUPPORTED: "La recherche par {field} n'est pas prise en charge.",
  PAGING_OUT_OF_RANGE: 'Valeur invalide pour {field} : {reason}.',
  CRM_VALIDATION_FAILED: 'La fiche client a été refusée : vérifiez {field}.',
  CUSTOMER_NOT_FOUND: 'Client introuvable.',
  ROUTE_NOT_FOUND: 'Adresse inconnue.',
  METHOD_NOT_ALLOWED: "Cette méthode n'est pas autorisée ici.",
  DUPLICATE_CUSTOMER: 'Un client avec ces informations existe déjà.',
  UPDATE_CONFLICT: 'Le client a été modifié en même temps. Veuillez réessayer.',
  BODY_TOO_LARGE: 'La requête est trop volumineuse.',
  UNSUPPORTED_MEDIA_TYPE: 'Envoyez la requête en JSON (Content-Type: application/json).',
  IDEMPOTENCY_KEY_REUSED: 'Cette Idempotency-Key a déjà servi pour une autre requête.',
  RATE_LIMITED: 'Trop de requêtes. Réessayez dans {retry} secondes.',
  CLIENT_CLOSED_REQUEST: 'La requête a été annulée.',
  CRM_RATE_LIMITED: 'Le système clients est surchargé. Réessayez dans {retry} secondes.',
  CRM_QUOTA_EXHAUSTED: "Le système clients a atteint sa limite d'utilisation pour le moment. Réessayez dans {retry} secondes ou plus tard.",
  CRM_ERROR: 'Le système clients a signalé une erreur. Veuillez réessayer.',
  CRM_BAD_RESPONSE: 'Le système clients a donné une réponse inattendue. Veuillez réessayer.',
  CRM_UNAVAILABLE: 'Le système clients est indisponible. Réessayez dans un instant.',
  CRM_TIMEOUT: "Le système clients n'a pas répondu à temps. Veuillez réessayer.",
  INTERNAL_ERROR: "Une erreur s'est produite. Veuillez réessayer."
}

const de: Messages = {
  INVALID_REQUEST: 'Ungültiger Wert für {field}: {reason}.',
  MALFORMED_JSON: 'Der Anfragetext ist kein gültiges JSON.',
  CUSTOMER_ID_REQUIRED: 'profile.customerId ist zum Ändern eines Kunden erforderlich.',
  CUSTOMER_ID_MISMATCH: 'Die Kunden-ID in der URL weicht von profile.customerId ab.',
  INVALID_CUSTOMER_ID: 'Die Kunden-ID in {field} ist ungültig.',
  SEARCH_CRITERIA_REQUIRED: 'Geben Sie mindestens ein Suchkriterium ein (Name, E-Mail, Telefon, Kunden- oder Treue-ID).',
  SEARCH_PARAMETER_UNSUPPORTED: 'Die Suche nach {field} wird nicht unterstützt.',
  PAGING_OUT_OF_RANGE: 'Ungültiger Wert für {field}: {reason}.',
  CRM_VALIDATION_FAILED: 'Der Kundendatensatz wurde abgelehnt: prüfen Sie {field}.',
  CUSTOMER_NOT_FOUND: 'Kunde nicht gefunden.',
  ROUTE_NOT_FOUND: 'Unbekannte Adresse.',
  METHOD_NOT_ALLOWED: 'Diese Methode ist hier nicht erlaubt.',
  DUPLICATE_CUSTOMER: 'Ein Kunde mit diesen Angaben existiert bereits.',
  UPDATE_CONFLICT: 'Der Kunde wurde gleichzeitig geändert. Bitte erneut versuchen.',
  BODY_TOO_LARGE: 'Die Anfrage ist zu groß.',
  UNSUPPORTED_MEDIA_TYPE: 'Senden Sie die Anfrage als JSON (Content-Type: application/json).',
  IDEMPOTENCY_KEY_REUSED: 'Dieser Idempotency-Key wurde bereits für eine andere Anfrage verwendet.',
  RATE_LIMITED: 'Zu viele Anfragen. Bitte in {retry} Sekunden erneut versuchen.',
  CLIENT_CLOSED_REQUEST: 'Die Anfrage wurde abgebrochen.',
  CRM_RATE_LIMITED: 'Das Kundensystem ist ausgelastet. Bitte in {retry} Sekunden erneut versuchen.',
  CRM_QUOTA_EXHAUSTED: 'Das Kundensystem hat sein Nutzungslimit vorerst erreicht. Bitte in {retry} Sekunden oder später erneut versuchen.',
  CRM_ERROR: 'Das Kundensystem hat einen Fehler gemeldet. Bitte erneut versuchen.',
  CRM_BAD_RESPONSE: 'Das Kundensystem hat unerwartet geantwortet. Bitte erneut versuchen.',
  CRM_UNAVAILABLE: 'Das Kundensystem ist nicht erreichbar. Bitte gleich erneut versuchen.',
  CRM_TIMEOUT: 'Das Kundensystem hat nicht rechtzeitig geantwortet. Bitte erneut versuchen.',
  INTERNAL_ERROR: 'Etwas ist schiefgelaufen. Bitte erneut versuchen.'
}

const es: Messages = {
  INVALID_REQUEST: 'Valor no válido para {field}: {reason}.',
  MALFORMED_JSON: 'El cuerpo de la solicitud no es JSON válido.',
  CUSTOMER_ID_REQUIRED: 'profile.customerId es obligatorio para actualizar un cliente.',
  CUSTOMER_ID_MISMATCH: 'El identificador de cliente de la URL no coincide con profile.customerId.',
  INVALID_CUSTOMER_ID: 'El identificador de cliente en {field} no es válido.',
  SEARCH_CRITERIA_REQUIRED: 'Introduzca al menos un criterio de búsqueda (nombre, correo, teléfono, id de cliente o de fidelización).',
  SEARCH_PARAMETER_UNSUPPORTED: 'No se admite la búsqueda por {field}.',
  PAGING_OUT_OF_RANGE: 'Valor no válido para {field}: {reason}.',
  CRM_VALIDATION_FAILED: 'Se rechazó la ficha del cliente: revise {field}.',
  CUSTOMER_NOT_FOUND: 'Cliente no encontrado.',
  ROUTE_NOT_FOUND: 'Dirección desconocida.',
  METHOD_NOT_ALLOWED: 'Este método no está permitido aquí.',
  DUPLICATE_CUSTOMER: 'Ya existe un cliente con estos datos.',
  UPDATE_CONFLICT: 'El cliente se modificó al mismo tiempo. Inténtelo de nuevo.',
  BODY_TOO_LARGE: 'La solicitud es demasiado grande.',
  UNSUPPORTED_MEDIA_TYPE: 'Envíe la solicitud en JSON (Content-Type: application/json).',
  IDEMPOTENCY_KEY_REUSED: 'Esta Idempotency-Key ya se usó para otra solicitud.',
  RATE_LIMITED: 'Demasiadas solicitudes. Inténtelo de nuevo en {retry} segundos.',
  CLIENT_CLOSED_REQUEST: 'La solicitud se canceló.',
  CRM_RATE_LIMITED: 'El sistema de clientes está ocupado. Inténtelo de nuevo en {retry} segundos.',
  CRM_QUOTA_EXHAUSTED: 'El sistema de clientes alcanzó su límite de uso por ahora. Inténtelo de nuevo en {retry} segundos o más tarde.',
  CRM_ERROR: 'El sistema de clientes informó de un error. Inténtelo de nuevo.',
  CRM_BAD_RESPONSE: 'El sistema de clientes dio una respuesta inesperada. Inténtelo de nuevo.',
  CRM_UNAVAILABLE: 'El sistema de clientes no está disponible. Inténtelo de nuevo en breve.',
  CRM_TIMEOUT: 'El sistema de clientes no respondió a tiempo. Inténtelo de nuevo.',
  INTERNAL_ERROR: 'Algo salió mal. Inténtelo de nuevo.'
}

const ja: Messages = {
  INVALID_REQUEST: '{field} の値が正しくありません: {reason}。',
  MALFORMED_JSON: 'リクエスト本文が正しい JSON ではありません。',
  CUSTOMER_ID_REQUIRED: '顧客を更新するには profile.customerId が必要です。',
  CUSTOMER_ID_MISMATCH: 'URL の顧客 ID が profile.customerId と一致しません。',
  INVALID_CUSTOMER_ID: '{field} の顧客 ID が正しくありません。',
  SEARCH_CRITERIA_REQUIRED: '検索条件を 1 つ以上入力してください（氏名、メール、電話、顧客 ID、会員 ID）。',
  SEARCH_PARAMETER_UNSUPPORTED: '{field} による検索はできません。',
  PAGING_OUT_OF_RANGE: '{field} の値が正しくありません: {reason}。',
  CRM_VALIDATION_FAILED: '顧客情報が受け付けられませんでした: {field} を確認してください。',
  CUSTOMER_NOT_FOUND: '顧客が見つかりません。',
  ROUTE_NOT_FOUND: '不明なアドレスです。',
  METHOD_NOT_ALLOWED: 'このメソッドはここでは使用できません。',
  DUPLICATE_CUSTOMER: '同じ情報の顧客がすでに存在します。',
  UPDATE_CONFLICT: '顧客が同時に更新されました。もう一度お試しください。',
  BODY_TOO_LARGE: 'リクエストが大きすぎます。',
  UNSUPPORTED_MEDIA_TYPE: 'JSON で送信してください（Content-Type: application/json）。',
  IDEMPOTENCY_KEY_REUSED: 'この Idempotency-Key は別のリクエストで使用済みです。',
  RATE_LIMITED: 'リクエストが多すぎます。{retry} 秒後にもう一度お試しください。',
  CLIENT_CLOSED_REQUEST: 'リクエストはキャンセルされました。',
  CRM_RATE_LIMITED: '顧客システムが混み合っています。{retry} 秒後にもう一度お試しください。',
  CRM_QUOTA_EXHAUSTED: '顧客システムは現在利用上限に達しています。{retry} 秒以上経ってからもう一度お試しください。',
  CRM_ERROR: '顧客システムでエラーが発生しました。もう一度お試しください。',
  CRM_BAD_RESPONSE: '顧客システムから予期しない応答がありました。もう一度お試しください。',
  CRM_UNAVAILABLE: '顧客システムを利用できません。しばらくしてからお試しください。',
  CRM_TIMEOUT: '顧客システムが時間内に応答しませんでした。もう一度お試しください。',
  INTERNAL_ERROR: '問題が発生しました。もう一度お試しください。'
}

/** Why a value was refused; the code that refuses picks one, the message localizes it. */
export const REASONS = {
  string: { en: 'must be text', fr: 'doit être du texte', de: 'muss Text sein', es: 'debe ser texto', ja: '文字列である必要があります' },
  boolean: { en: 'must be true or false', fr: 'doit être true ou false', de: 'muss true oder false sein', es: 'debe ser true o false', ja: 'true または false である必要があります' },
  integer: { en: 'must be a whole number', fr: 'doit être un nombre entier', de: 'muss eine ganze Zahl sein', es: 'debe ser un número entero', ja: '整数である必要があります' },
  number: { en: 'must be a number', fr: 'doit être un nombre', de: 'muss eine Zahl sein', es: 'debe ser un número', ja: '数値である必要があります' },
  object: { en: 'must be an object', fr: 'doit être un objet', de: 'muss ein Objekt sein', es: 'debe ser un objeto', ja: 'オブジェクトである必要があります' },
  array: { en: 'must be a list', fr: 'doit être une liste', de: 'muss eine Liste sein', es: 'debe ser una lista', ja: 'リストである必要があります' },
  date: { en: 'must be a date (YYYY-MM-DD, MM-DD or epoch milliseconds)', fr: 'doit être une date (AAAA-MM-JJ, MM-JJ ou millisecondes epoch)', de: 'muss ein Datum sein (JJJJ-MM-TT, MM-TT oder Epoch-Millisekunden)', es: 'debe ser una fecha (AAAA-MM-DD, MM-DD o milisegundos epoch)', ja: '日付である必要があります（YYYY-MM-DD、MM-DD、またはエポックミリ秒）' },
  limit: { en: 'must be a whole number from 1 to 100', fr: 'doit être un entier de 1 à 100', de: 'muss eine ganze Zahl von 1 bis 100 sein', es: 'debe ser un entero de 1 a 100', ja: '1 から 100 の整数である必要があります' },
  offset: { en: 'must be a whole number of 0 or more', fr: 'doit être un entier positif ou nul', de: 'muss eine ganze Zahl ab 0 sein', es: 'debe ser un entero mayor o igual que 0', ja: '0 以上の整数である必要があります' },
  format: { en: 'has the wrong format', fr: "n'a pas le bon format", de: 'hat das falsche Format', es: 'tiene un formato incorrecto', ja: '形式が正しくありません' },
  tooLong: { en: 'is too long', fr: 'est trop long', de: 'ist zu lang', es: 'es demasiado largo', ja: '長すぎます' },
  required: { en: 'is required', fr: 'est obligatoire', de: 'ist erforderlich', es: 'es obligatorio', ja: '必須です' },
  invalid: { en: 'is not valid', fr: "n'est pas valide", de: 'ist ungültig', es: 'no es válido', ja: '正しくありません' }
} as const satisfies Record<string, Record<Language, string>>

export type Reason = keyof typeof REASONS

export const MESSAGES: Record<Language, Messages> = { en, fr, de, es, ja }
